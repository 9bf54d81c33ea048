// A real OAuth 2 / OpenID provider (panva's certified oidc-provider) for Vaultline's tests.
// Usage: node provider.js PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI [REDIRECT_URI...]
// Prints "READY <issuer>" once listening, then one "EVENT <name> <detail>" line per token
// endpoint grant and revocation, which the tests count (e.g. exactly one refresh).
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, ...redirectUris] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  // The built-in login/consent pages: any login and password sign in; "[ Cancel ]" denies.
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    // For connectionsToken: the consumer's own client trades its id/secret for a token.
    clientCredentials: { enabled: true },
  },
  pkce: { required: () => true },
  scopes: ['openid', 'offline_access', 'contacts.read'],
  // A refresh token for every code grant (no offline_access / prompt=consent dance), rotated
  // on every use, and not tied to the provider's login session.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  expiresWithSession: async () => false,
  ttl: { AccessToken: 300, ClientCredentials: 300, AuthorizationCode: 60, RefreshToken: 3600, Grant: 3600, Session: 3600, Interaction: 600 },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  cookies: { keys: ['vaultline-test-cookie-key'] },
});
// On loopback http the provider's cookies cannot be "secure"; tests run over plain http.
provider.proxy = false;

const log = (name, detail) => process.stdout.write(`EVENT ${name} ${detail}\n`);
// A barrier for the tests' counting: once the test has read "SYNC n", it has read every line the
// provider printed before this request, e.g. the events of a grant it answered a moment ago.
provider.use(async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === '/__sync') {
    process.stdout.write(`SYNC ${ctx.query.n}\n`);
    ctx.status = 204;
    return;
  }
  await next();
});
provider.on('grant.success', (ctx) => log('grant.success', ctx.oidc.params.grant_type));
provider.on('grant.error', (ctx, err) => log('grant.error', `${ctx.oidc.params?.grant_type} ${err.error}`));
provider.on('grant.revoked', () => log('grant.revoked', '-'));
// RFC 7009 requests as they were answered (revoking an unknown or already revoked token is a 200 too).
provider.use(async (ctx, next) => {
  await next();
  if (ctx.method === 'POST' && ctx.path === '/token/revocation') log('revocation', ctx.status);
});
provider.on('revocation.error', (ctx, err) => log('revocation.error', err.error));
provider.on('server_error', (ctx, err) => process.stderr.write(`server_error ${err.stack}\n`));

provider.listen(Number(port), '127.0.0.1', () => process.stdout.write(`READY ${issuer}\n`));
