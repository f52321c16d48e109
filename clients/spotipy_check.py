"""spotipy (unchanged, from PyPI) against a running mocklink: the OAuth flow
through SpotifyOAuth, then the calls issue 15 lists. One PASS/FAIL line per
case; exits 1 if any case fails. Usage: python3 spotipy_check.py BASE_URL"""
import os
import sys
import traceback

import spotipy
from spotipy.oauth2 import SpotifyOAuth
from spotipy.cache_handler import MemoryCacheHandler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import authorize  # noqa: E402

BASE = sys.argv[1].rstrip("/")
CLIENT, SECRET = "compat-check", "compat-check-secret"
REDIRECT = "http://127.0.0.1:8888/callback"
SCOPES = ("user-read-private playlist-modify-public playlist-modify-private "
          "playlist-read-private user-library-read user-library-modify "
          "user-read-recently-played")

failed = []


def case(name):
    def run(fn):
        try:
            detail = fn()
            print(f"PASS spotipy {name}" + (f" ({detail})" if detail else ""), flush=True)
        except Exception as e:  # noqa: BLE001 - any failure is a failed case
            failed.append(name)
            print(f"FAIL spotipy {name}: {type(e).__name__}: {e}", flush=True)
            traceback.print_exc(limit=3, file=sys.stdout)
        return fn
    return run


# The real authorization-code flow: spotipy builds the URL and exchanges the
# code; only its two accounts URLs and the API prefix point at the mock.
auth = SpotifyOAuth(client_id=CLIENT, client_secret=SECRET, redirect_uri=REDIRECT,
                    scope=SCOPES, cache_handler=MemoryCacheHandler(), open_browser=False)
auth.OAUTH_AUTHORIZE_URL = f"{BASE}/authorize"
auth.OAUTH_TOKEN_URL = f"{BASE}/api/token"
sp = spotipy.Spotify(auth_manager=auth, retries=0, status_retries=0)
sp.prefix = f"{BASE}/v1/"


@case("oauth authorization code")
def _():
    code = auth.parse_response_code(authorize(auth.get_authorize_url()))
    token = auth.get_access_token(code, as_dict=False)
    assert token, "no access token"
    assert sp.me()["id"] == "demo"


found = {}


def tracks(n):
    if "tracks" not in found:
        found["tracks"] = sp.search("the", limit=10, type="track")["tracks"]["items"]
    return found["tracks"][:n]


@case("playlist_add_items")
def _():
    pl = sp.current_user_playlist_create("spotipy check", public=False)["id"]
    t = tracks(3)
    sp.playlist_add_items(pl, [t[0]["uri"], t[1]["id"]])  # a uri and a bare id
    sp.playlist_add_items(pl, [t[2]["uri"]], position=0)
    got = [i["track"]["id"] for i in sp.playlist_items(pl)["items"]]
    want = [t[2]["id"], t[0]["id"], t[1]["id"]]
    assert got == want, f"{got} != {want}"
    return "bare array body, position in the query"


@case("album_tracks")
def _():
    album = sp.search("the", limit=1, type="album")["albums"]["items"][0]
    page = sp.album_tracks(album["id"])  # GET albums/{id}/tracks/
    assert page["total"] == album["total_tracks"], page["total"]
    assert [t["id"] for t in page["items"]] == \
        [t["id"] for t in sp.album(album["id"])["tracks"]["items"]]
    return f"{page['total']} tracks, trailing slash"


@case("current_user_saved_tracks_add")
def _():
    saved = {i["track"]["id"] for i in sp.current_user_saved_tracks(limit=50)["items"]}
    new = next(t for t in tracks(10) if t["id"] not in saved)
    sp.current_user_saved_tracks_add([new["id"]])
    assert sp.current_user_saved_tracks_contains([new["id"]]) == [True]
    sp.current_user_saved_tracks_delete([new["id"]])
    assert sp.current_user_saved_tracks_contains([new["id"]]) == [False]


@case("current_user_recently_played")
def _():
    page = sp.current_user_recently_played(limit=5)
    items = page["items"]
    assert len(items) == 5, page
    played = [i["played_at"] for i in items]
    assert played == sorted(played, reverse=True), played
    before = page["cursors"]["before"]
    older = sp.current_user_recently_played(limit=50, before=before)["items"]
    assert older and all(i["played_at"] < played[-1] for i in older)
    following = sp.next(page)  # the absolute `next` link
    assert following["items"][0]["played_at"] == older[0]["played_at"]
    return f"{len(items) + len(older)} plays, cursor paging"


@case("artist_albums")
def _():
    artist = tracks(1)[0]["artists"][0]["id"]
    page = sp.artist_albums(artist, include_groups="album,single", limit=50)
    assert page["items"], page
    assert all(a["artists"][0]["id"] == artist for a in page["items"])
    assert all(a["album_group"] in ("album", "single") for a in page["items"])
    return f"{page['total']} albums"


@case("tracks (development mode: 403)")
def _():
    try:
        sp.tracks([t["id"] for t in tracks(2)])  # GET tracks/?ids=
    except spotipy.SpotifyException as e:
        assert e.http_status == 403, e
        return "Spotify's answer since February 2026"
    raise AssertionError("served to a development-mode client")


if failed:
    print(f"spotipy: {len(failed)} case(s) failed: {', '.join(failed)}")
    sys.exit(1)
