"""Prints an access token for the demo user of a local mocklink, the way a
browser gets one: /authorize, the login and consent forms, then /api/token.
Used by scripts/schemathesis.sh. Usage: python3 user_token.py BASE_URL"""
import base64
import html
import http.cookiejar
import json
import re
import sys
import urllib.parse
import urllib.request

BASE = sys.argv[1].rstrip("/")
CLIENT, SECRET = "alexa-skill", "alexa-skill-secret"
REDIRECT = "https://pitangui.amazon.com/api/skill/link/M2AB3CD4EF5GHI"
SCOPES = (
    "user-read-private user-read-email user-read-playback-state "
    "user-modify-playback-state user-read-currently-playing playlist-read-private "
    "playlist-modify-public playlist-modify-private user-library-read "
    "user-library-modify user-top-read user-read-recently-played"
)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(
    urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
)


def send(url, data=None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        res = opener.open(url, body)
        return res.status, res.headers, res.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def field(page, name):
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), page)
    return html.unescape(m.group(1)) if m else ""


query = urllib.parse.urlencode(
    {"response_type": "code", "client_id": CLIENT, "redirect_uri": REDIRECT,
     "scope": SCOPES, "state": "schemathesis", "show_dialog": "true"}
)
status, headers, page = send(f"{BASE}/authorize?{query}")
for _ in range(6):
    if 300 <= status < 400:
        location = headers["Location"]
        if location.startswith("/"):
            status, headers, page = send(BASE + location)
            continue
        code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["code"][0]
        break
    if 'action="/login"' in page:
        status, headers, page = send(f"{BASE}/login", {
            "csrf_token": field(page, "csrf_token"), "return_to": field(page, "return_to"),
            "username": "demo", "password": "demo"})
    elif 'action="/consent"' in page:
        status, headers, page = send(f"{BASE}/consent", {
            "csrf_token": field(page, "csrf_token"),
            "authorization_request": field(page, "authorization_request"),
            "decision": "allow"})
    else:
        sys.exit(f"unexpected page ({status}): {page[:300]}")
else:
    sys.exit("the flow did not end in a redirect to the client")

req = urllib.request.Request(
    f"{BASE}/api/token",
    urllib.parse.urlencode(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    ).encode(),
    {"Authorization": "Basic " + base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()},
)
print(json.load(urllib.request.urlopen(req))["access_token"])
