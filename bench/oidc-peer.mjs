// The second peer of bench/run.sh (issue 16): npm `oidc-provider`, issuing
// RS256-signed JWT access tokens for client_credentials to the same client
// id and secret as mocklink's demo client. Run from a directory where
// `npm install oidc-provider` was done:
//   node oidc-peer.mjs PORT
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || 3000);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = privateKey.export({ format: 'jwk' });
jwk.kid = 'bench-rs256'; jwk.alg = 'RS256'; jwk.use = 'sig';

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'alexa-skill',
    client_secret: 'alexa-skill-secret',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // A resource server makes the access token a signed JWT (like ours)
    // rather than an opaque handle.
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:mocklink:bench',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: '',
        audience: 'urn:mocklink:bench',
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider on ${port}`));
