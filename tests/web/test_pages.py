from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crisis.settings import LANGUAGES
from crisis.store import users
from crisis.web.i18n import LOCALE_DIR, load_catalogs
from tests.conftest import csrf_of, login

ROOT = LOCALE_DIR.parents[3]


def test_home_page_is_accessible_shell(client: TestClient) -> None:
    html = client.get("/").text
    assert '<html lang="en">' in html
    assert 'href="#main"' in html and '<main id="main"' in html
    assert "https://" not in html and "http://" not in html  # nothing from a CDN
    assert client.get("/static/crisis.css").status_code == 200


def _shell_messages() -> set[str]:
    method_map = [
        ("src/crisis/web/**.py", "python"),
        ("src/crisis/web/templates/**.html", "jinja2"),
    ]
    options = {"src/crisis/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map, options, keywords={"_": None, "gettext": None, "N_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete_for_the_shell(lang: str) -> None:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    messages = _shell_messages()
    assert len(messages) > 50
    assert sorted(messages - translated) == []
    assert load_catalogs()[lang].gettext("Sign in") == catalog.get("Sign in").string


def test_an_edited_catalog_is_compiled_again(tmp_path) -> None:
    """Catalogs are compiled once and shared, but a changed .po file is read again."""
    import os
    import shutil

    locale = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, locale)
    assert load_catalogs(locale)["de"].gettext("Sign in") == "Anmelden"
    po = locale / "de" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    assert 'msgid "Sign in"\nmsgstr "Anmelden"' in text
    po.write_text(
        text.replace('msgid "Sign in"\nmsgstr "Anmelden"', 'msgid "Sign in"\nmsgstr "Einloggen"')
    )
    stat = po.stat()
    os.utime(po, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_catalogs(locale)["de"].gettext("Sign in") == "Einloggen"
    assert load_catalogs()["de"].gettext("Sign in") == "Anmelden"


def test_language_switch_is_remembered(client: TestClient) -> None:
    response = client.post(
        "/language", data={"language": "el", "next": "/", "csrf_token": csrf_of(client)}
    )
    assert response.status_code == 200
    assert '<html lang="el">' in response.text
    assert "Σύνδεση" in response.text
    # The chosen language (a cookie) wins over the browser's preference.
    assert '<html lang="el">' in client.get("/", headers={"accept-language": "de"}).text
    assert '<html lang="el">' in client.get("/").text


def test_browser_language_is_used_until_one_is_chosen(client: TestClient) -> None:
    html = client.get("/", headers={"accept-language": "pt-PT,pt;q=0.9,en;q=0.5"}).text
    assert '<html lang="pt">' in html and "Iniciar sessão" in html


@pytest.mark.usefixtures("accounts")
def test_account_language_follows_the_user(client: TestClient, engine: Engine) -> None:
    login(client, "learner")
    client.post("/language", data={"language": "de", "next": "/", "csrf_token": csrf_of(client)})
    with Session(engine) as db:
        assert users.get_user(db, "learner").language == "de"


@pytest.mark.usefixtures("accounts")
def test_admin_manages_users(client: TestClient) -> None:
    login(client, "admin")
    token = csrf_of(client)
    page = client.post(
        "/admin/users", data={"username": "nikos", "role": "analyst", "csrf_token": token}
    ).text
    password = re.search(r"with password (\S+)", page)
    assert password, page
    client.post("/admin/users/nikos/role", data={"role": "instructor", "csrf_token": token})
    assert re.search(r'<option value="instructor" selected>', client.get("/admin/users").text)
    with TestClient(client.app) as other:
        login(other, "nikos", password.group(1))
        assert other.get("/learning").status_code == 200


@pytest.mark.usefixtures("accounts")
def test_registration_by_invitation_only(client: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(client)
    closed = client.post(
        "/register", data={"username": "eve", "password": "long-enough-pw", "csrf_token": token}
    )
    assert closed.status_code == 400 and "invitation" in closed.text
    with TestClient(app) as admin:
        login(admin, "admin")
        page = admin.post(
            "/admin/invitations", data={"role": "analyst", "csrf_token": csrf_of(admin)}
        ).text
        code = re.search(r"register\?code=([\w-]+)", page)
        assert code
    ok = client.post(
        "/register",
        data={
            "username": "eve",
            "password": "long-enough-pw",
            "code": code.group(1),
            "csrf_token": token,
        },
    )
    assert ok.status_code == 200 and "Account created" in ok.text
    login(client, "eve", "long-enough-pw")
    assert client.get("/workbench").status_code == 200  # the invitation's role
    reused = client.post(
        "/register",
        data={
            "username": "eve2",
            "password": "long-enough-pw",
            "code": code.group(1),
            "csrf_token": csrf_of(client),  # signing in gave this browser a new token
        },
    )
    assert reused.status_code == 400
