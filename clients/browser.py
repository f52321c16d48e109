"""Plays the browser of an OAuth authorization-code flow against mocklink:
opens the authorize URL, fills in the login and consent pages, and prints the
URL the server finally redirects to (the client's redirect URI with `code`).
Only the standard library. Usage: python3 browser.py AUTHORIZE_URL [USER PASSWORD]"""
import html
import http.cookiejar
import re
import sys
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def field(page, name):
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), page)
    return html.unescape(m.group(1)) if m else ""


def authorize(url, user="demo", password="demo"):
    """The redirect URL the flow ends at, after login and consent."""
    parts = urllib.parse.urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
    )

    def send(target, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            res = opener.open(target, body)
            return res.status, res.headers, res.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    status, headers, page = send(url)
    for _ in range(8):
        if 300 <= status < 400:
            location = headers["Location"]
            if location.startswith("/"):
                status, headers, page = send(base + location)
                continue
            return location
        if 'action="/login"' in page:
            status, headers, page = send(f"{base}/login", {
                "csrf_token": field(page, "csrf_token"),
                "return_to": field(page, "return_to"),
                "username": user, "password": password})
        elif 'action="/consent"' in page:
            status, headers, page = send(f"{base}/consent", {
                "csrf_token": field(page, "csrf_token"),
                "authorization_request": field(page, "authorization_request"),
                "decision": "allow"})
        else:
            raise RuntimeError(f"unexpected page ({status}): {page[:300]}")
    raise RuntimeError("the flow did not end in a redirect to the client")


if __name__ == "__main__":
    print(authorize(*sys.argv[1:4]))
