// LTI pages. The deep-linking answer goes back to the LMS at once (its button stays for
// browsers without JavaScript). After Dynamic Registration the page tells the LMS that opened
// it to close it, with the message LTI Dynamic Registration defines; the button says it again.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-autosubmit]");
  if (form) form.submit();
  const close = document.querySelector("[data-lti-close]");
  if (close) {
    const done = () =>
      (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
    close.addEventListener("click", done);
    if (window.opener || window.parent !== window) done();
  }
});
