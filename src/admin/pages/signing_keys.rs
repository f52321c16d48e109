//! Signing keys: the JWKS as a table, and rotation.

use super::*;

struct KeyRow {
    kid: String,
    alg: String,
    created: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "admin_keys.html")]
struct KeysPage {
    layout: Layout,
    keys: Vec<KeyRow>,
    default_alg: &'static str,
}

pub(super) async fn keys_page(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
) -> Result<HttpResponse, PageFailure> {
    let mut keys: Vec<KeyRow> = state
        .store
        .signing_keys()
        .await?
        .into_iter()
        .map(|k| KeyRow {
            active: k.retired_at.is_none(),
            created: when(k.created_at),
            kid: k.kid,
            alg: k.alg,
        })
        .collect();
    keys.reverse();
    let (layout, cookie) = layout(&req, &state, "keys");
    Ok(respond(
        &KeysPage {
            layout,
            keys,
            default_alg: state.settings.signing_alg.as_str(),
        },
        cookie,
    ))
}

pub(super) async fn rotate_key(
    _: AdminPage,
    req: HttpRequest,
    state: web::Data<AdminState>,
    form: Form,
) -> Result<HttpResponse, PageFailure> {
    checked(&req, &form)?;
    let alg = match field(&form, "alg").as_deref() {
        None => state.settings.signing_alg,
        Some("RS256") => SigningAlg::Rs256,
        Some("ES256") => SigningAlg::Es256,
        Some(other) => return Err(PageFailure::bad(format!("unknown algorithm '{other}'"))),
    };
    let key = keys::rotate(&state.store, alg, state.clock.now())
        .await
        .map_err(|e| match e {
            keys::KeyError::Store(s) => PageFailure::from(s),
            other => AdminError::Internal(other.to_string()).into(),
        })?;
    // This instance signs with it at once; others at their next reload.
    state
        .tokens
        .keys
        .reload(&state.store)
        .await
        .map_err(|e| AdminError::Internal(e.to_string()))?;
    tracing::info!(event = "key_rotated", kid = %key.kid, "signing key rotated from the admin page");
    Ok(done("/admin/keys", "key-rotated"))
}
