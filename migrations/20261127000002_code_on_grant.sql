-- Issue 16: the authorization code lives on its grant's row. /authorize then
-- writes one row (the pending grant with its code) instead of two, and
-- redeeming a code is one conditional UPDATE of that row (plus the first
-- refresh token). A grant has exactly one code, created with it.
ALTER TABLE grants ADD COLUMN code_hash TEXT;
ALTER TABLE grants ADD COLUMN code_redirect_uri TEXT;
ALTER TABLE grants ADD COLUMN code_challenge TEXT;
ALTER TABLE grants ADD COLUMN code_expires_at BIGINT;
ALTER TABLE grants ADD COLUMN code_used_at BIGINT;

UPDATE grants SET
    code_hash = (SELECT c.code_hash FROM auth_codes c WHERE c.grant_id = grants.id
                 ORDER BY c.created_at DESC LIMIT 1),
    code_redirect_uri = (SELECT c.redirect_uri FROM auth_codes c WHERE c.grant_id = grants.id
                         ORDER BY c.created_at DESC LIMIT 1),
    code_challenge = (SELECT c.code_challenge FROM auth_codes c WHERE c.grant_id = grants.id
                      ORDER BY c.created_at DESC LIMIT 1),
    code_expires_at = (SELECT c.expires_at FROM auth_codes c WHERE c.grant_id = grants.id
                       ORDER BY c.created_at DESC LIMIT 1),
    code_used_at = (SELECT c.used_at FROM auth_codes c WHERE c.grant_id = grants.id
                    ORDER BY c.created_at DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM auth_codes c WHERE c.grant_id = grants.id);

CREATE UNIQUE INDEX grants_code ON grants (code_hash);

DROP TABLE auth_codes;
