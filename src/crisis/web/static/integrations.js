// Send the deep-linking answer back to the LMS at once; the button stays for browsers without JS.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-autosubmit]");
  if (form) form.submit();
});
