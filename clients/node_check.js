// spotify-web-api-node and simple-oauth2 (unchanged, from npm) against a
// running mocklink: simple-oauth2 runs the authorization-code flow and later
// revokes the token; spotify-web-api-node searches with it. One PASS/FAIL
// line per case; exits 1 if any case fails.
// Usage: NODE_PATH=<dir>/node_modules node node_check.js BASE_URL
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const BASE = process.argv[2].replace(/\/+$/, '');
const CLIENT = 'compat-check';
const SECRET = 'compat-check-secret';
const REDIRECT = 'http://127.0.0.1:8888/callback';
const failed = [];

async function check(name, fn) {
  try {
    const detail = await fn();
    console.log(`PASS ${name}${detail ? ` (${detail})` : ''}`);
  } catch (e) {
    failed.push(name);
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 4).join('\n') : e}`);
  }
}

function assert(ok, message) {
  if (!ok) throw new Error(message);
}

// spotify-web-api-node hard-codes https://api.spotify.com for the Web API:
// its request builder is pointed at the mock; the library is otherwise as
// published (it still builds `/v1/search/`, with the trailing slash).
const base = new URL(BASE);
const WebApiRequest = require('spotify-web-api-node/src/webapi-request');
const builder = WebApiRequest.builder;
WebApiRequest.builder = (accessToken) => builder(accessToken)
  .withScheme(base.protocol.replace(':', ''))
  .withHost(base.hostname)
  .withPort(Number(base.port) || (base.protocol === 'https:' ? 443 : 80));
const SpotifyWebApi = require('spotify-web-api-node');
const { AuthorizationCode } = require('simple-oauth2');

(async () => {
  const oauth = new AuthorizationCode({
    client: { id: CLIENT, secret: SECRET },
    auth: {
      tokenHost: BASE,
      tokenPath: '/api/token',
      authorizePath: '/authorize',
      revokePath: '/api/revoke',
    },
  });
  let token;
  await check('simple-oauth2 authorization code', async () => {
    const url = oauth.authorizeURL({
      redirect_uri: REDIRECT,
      scope: ['user-read-private', 'user-read-email'],
      state: 'node-check',
    });
    const back = execFileSync('python3', [path.join(__dirname, 'browser.py'), url], {
      encoding: 'utf8',
    }).trim();
    const params = new URL(back).searchParams;
    assert(params.get('state') === 'node-check', `state: ${back}`);
    token = await oauth.getToken({ code: params.get('code'), redirect_uri: REDIRECT });
    assert(token.token.access_token, 'no access token');
    return `expires in ${token.token.expires_in} s`;
  });
  if (!token) process.exit(1);

  const api = new SpotifyWebApi({ accessToken: token.token.access_token });
  await check('spotify-web-api-node search', async () => {
    const res = await api.search('the', ['track', 'artist'], { limit: 3, offset: 1 });
    assert(res.statusCode === 200, `status ${res.statusCode}`);
    assert(res.body.tracks.items.length === 3, JSON.stringify(res.body.tracks));
    assert(res.body.tracks.offset === 1, 'offset');
    assert(res.body.artists.items.length > 0, 'artists');
    const me = await api.getMe();
    assert(me.body.id === 'demo', JSON.stringify(me.body));
    return `${res.body.tracks.total} tracks for "the", via /v1/search/`;
  });

  await check('simple-oauth2 revoke', async () => {
    await token.revoke('access_token');
    try {
      await api.getMe();
    } catch (e) {
      assert(e.statusCode === 401, `status ${e.statusCode}`);
      await token.revoke('refresh_token');
      return 'the token is refused afterwards';
    }
    throw new Error('the revoked token still works');
  });

  if (failed.length) {
    console.log(`node: ${failed.length} case(s) failed: ${failed.join(', ')}`);
    process.exit(1);
  }
})().catch((e) => {
  console.log(`FAIL node check: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
