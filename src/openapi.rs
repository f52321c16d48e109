//! The OpenAPI 3 document of the whole JSON surface, generated from the
//! `#[utoipa::path]` annotations next to each handler and served at
//! `GET /openapi.json` by every instance, whatever roles it serves.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::openapi::security::{AuthorizationCode, ClientCredentials, Http, HttpAuthScheme};
use utoipa::openapi::security::{Flow, OAuth2, Scopes, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// HTML pages and other non-JSON routes that the document leaves out. The
/// route-coverage test accepts a registered route missing from `paths` only
/// if it is named here (and so in the document's description).
pub const NOT_DOCUMENTED: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/assets/style.css"),
    ("GET", "/authorize"),
    ("POST", "/login"),
    ("POST", "/consent"),
    ("GET", "/account/apps"),
    ("POST", "/account/apps/unlink"),
    ("GET", "/alexa"),
    ("POST", "/alexa/users"),
    ("GET", "/alexa/users/{id}"),
    ("POST", "/alexa/users/{id}/enable"),
    ("POST", "/alexa/users/{id}/disable"),
    ("POST", "/alexa/users/{id}/talk"),
    ("GET", "/alexa/flows/{flow}"),
    ("GET", "/api/skill/link/{vendor}"),
    ("GET", "/admin"),
    ("GET", "/admin/assets/admin.js"),
    ("GET", "/admin/users"),
    ("GET", "/admin/clients"),
    ("GET", "/admin/grants"),
    ("POST", "/admin/grants/revoke"),
    ("POST", "/admin/grants/revoke-user"),
    ("GET", "/admin/scenarios"),
    ("POST", "/admin/scenarios"),
    ("POST", "/admin/scenarios/preset"),
    ("POST", "/admin/scenarios/clear"),
    ("POST", "/admin/scenarios/clear-all"),
    ("GET", "/admin/keys"),
    ("POST", "/admin/keys/rotate"),
    ("GET", "/admin/clock"),
    ("POST", "/admin/clock/advance"),
    ("POST", "/admin/clock/reset"),
    ("GET", "/admin/inspector"),
    ("POST", "/admin/inspector/clear"),
];

const DESCRIPTION: &str = "\
The JSON surface of mocklink: the OAuth 2.0 provider (`/api/token`, `/api/revoke`, \
`/api/introspect`, metadata, JWKS), the Spotify-shaped Web API under `/v1`, the \
bundled Alexa skill (`POST /alexa/skill`, the default `skill_path`) and the Alexa \
simulator's JSON API under `/alexa/api`. An instance mounts only the roles it \
serves, but this document always describes all of them.\n\n\
Error shapes: the provider and the skill answer `{\"error\", \"error_description\"}` \
(RFC 6749 §5.2); `/v1` answers Spotify's `{\"error\":{\"status\",\"message\",\"reason\"?}}` \
with RFC 6750 `WWW-Authenticate` challenges; the simulator answers \
`{\"error\", \"error_description\"}` with its own codes. A 405 names the allowed \
methods in `Allow` (RFC 9110 §15.5.6).\n\n\
Under `/v1`, a path with a trailing slash is the path without it (`/v1/me/` is \
`/v1/me`), as on Spotify; list bodies (`{\"uris\": [...]}`, `{\"ids\": [...]}`) may \
also be sent as the bare JSON array.\n\n\
Left out (HTML pages, redirects and assets, not JSON): ";

/// RFC 6749 §5.2 error body (provider endpoints and the skill endpoint).
#[derive(Serialize, ToSchema)]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`,
    /// `unsupported_grant_type`, `invalid_scope`, `temporarily_unavailable`, ...
    pub error: String,
    pub error_description: Option<String>,
}

/// Spotify's error object.
#[derive(Serialize, ToSchema)]
pub struct SpotifyError {
    pub status: u16,
    pub message: String,
    /// Player command failures only: `PREMIUM_REQUIRED`, `NO_ACTIVE_DEVICE`, ...
    pub reason: Option<String>,
}

/// Spotify's error body: `{"error": {...}}`.
#[derive(Serialize, ToSchema)]
pub struct SpotifyErrorBody {
    pub error: SpotifyError,
}

/// The error answers every admin call shares (`{"error", "error_description"}`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // a description for the document, never built
pub enum AdminErrors {
    #[response(status = 400, description = "Bad input")]
    BadRequest(serde_json::Value),
    #[response(status = 401, description = "Admin password required")]
    Unauthorized(serde_json::Value),
    #[response(
        status = 403,
        description = "Not from loopback and no admin password set"
    )]
    Forbidden(serde_json::Value),
}

/// The error answers every player command shares, documented once.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // a description for the document, never built
pub enum PlayerCommandErrors {
    #[response(status = 400, description = "Bad parameter or body")]
    BadRequest(SpotifyErrorBody),
    #[response(
        status = 401,
        description = "No token, or an invalid, expired or revoked one (`WWW-Authenticate: Bearer`)"
    )]
    Unauthorized(SpotifyErrorBody),
    #[response(
        status = 403,
        description = "Missing scope, `PREMIUM_REQUIRED`, or a player restriction (`reason`)"
    )]
    Forbidden(SpotifyErrorBody),
    #[response(status = 404, description = "No such item, or `NO_ACTIVE_DEVICE`")]
    NotFound(SpotifyErrorBody),
    #[response(status = 405, description = "Method not allowed")]
    MethodNotAllowed(SpotifyErrorBody),
}

/// The simulator's error body.
#[derive(Serialize, ToSchema)]
pub struct AlexaErrorBody {
    /// `not_found`, `bad_request`, `csrf`, `state_mismatch`, `provider_error`,
    /// `token_exchange_failed`, `misconfigured`, `unavailable`.
    pub error: String,
    pub error_description: String,
}

/// `POST /api/token` form parameters (RFC 6749 §4.1.3, §4.4.2, §6).
#[derive(Serialize, ToSchema)]
pub struct TokenForm {
    /// `authorization_code`, `refresh_token` or `client_credentials`.
    pub grant_type: String,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    /// PKCE verifier, `[A-Za-z0-9._~-]{43,128}`.
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    /// With `client_secret_post` (never together with Basic credentials).
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// `POST /api/revoke` and `/api/introspect` form parameters (RFC 7009, RFC 7662).
#[derive(Serialize, ToSchema)]
pub struct TokenRefForm {
    pub token: String,
    /// `access_token` or `refresh_token`; a hint only.
    pub token_type_hint: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// RFC 7662 introspection response; inactive tokens are `{"active": false}` only.
#[derive(Serialize, ToSchema)]
pub struct Introspection {
    pub active: bool,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub username: Option<String>,
    /// `Bearer` or `refresh_token`.
    pub token_type: Option<String>,
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub sub: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub aud: Option<serde_json::Value>,
    pub iss: Option<String>,
    pub jti: Option<String>,
}

/// RFC 8414 authorization server metadata.
#[derive(Serialize, ToSchema)]
pub struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    pub response_types_supported: Vec<String>,
    pub response_modes_supported: Vec<String>,
    pub grant_types_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: Vec<String>,
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    pub introspection_endpoint_auth_methods_supported: Vec<String>,
    pub code_challenge_methods_supported: Vec<String>,
    pub scopes_supported: Vec<String>,
    pub authorization_response_iss_parameter_supported: bool,
    pub access_token_signing_alg_values_supported: Vec<String>,
}

/// RFC 7517 JSON Web Key Set.
#[derive(Serialize, ToSchema)]
pub struct Jwks {
    /// Public keys (`kty`, `kid`, `use`, `alg`, and `n`/`e` or `crv`/`x`/`y`).
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<serde_json::Value>,
}

/// `{"snapshot_id": ...}` (also the body of the /v1 playlist changes).
#[derive(Serialize, ToSchema)]
pub struct Snapshot {
    pub snapshot_id: String,
}

/// `GET /v1/me/player/queue`.
#[derive(Serialize, ToSchema)]
pub struct Queue {
    #[schema(value_type = Option<Object>)]
    pub currently_playing: Option<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub queue: Vec<serde_json::Value>,
}

/// `GET /v1/search`: one paging object per requested type.
#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    pub tracks: Option<crate::api::params::Page<crate::api::model::FullTrack>>,
    pub albums: Option<crate::api::params::Page<crate::api::model::SimplifiedAlbum>>,
    pub artists: Option<crate::api::params::Page<crate::api::model::FullArtist>>,
    pub playlists: Option<crate::api::params::Page<crate::api::model::SimplifiedPlaylist>>,
}

/// Ids, as JSON body alternative to the `ids` query parameter.
#[derive(Serialize, ToSchema)]
pub struct IdsBody {
    /// Track ids or `spotify:track:` uris.
    #[schema(min_items = 1, max_items = 50)]
    pub ids: Vec<String>,
}

/// `{"ids": [...]}`, or the bare array (Spotify's TypeScript SDK sends that).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum IdsOrList {
    Object(IdsBody),
    /// 1 to 50 ids or uris.
    List(Vec<String>),
}

/// `POST /v1/playlists/{id}/items` body.
#[derive(Serialize, ToSchema)]
pub struct AddItemsBody {
    /// `spotify:track:` uris; if absent, the `uris` query parameter.
    #[schema(min_items = 1, max_items = 100)]
    pub uris: Option<Vec<String>>,
    /// Insert position; default: the end.
    #[schema(minimum = 0)]
    pub position: Option<i64>,
}

/// `{"uris": [...], "position"?}`, or the bare array of uris (spotipy sends
/// that, with `position` in the query).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum AddItemsOrList {
    Object(AddItemsBody),
    /// 1 to 100 uris.
    List(Vec<String>),
}

/// `POST /v1/me/playlists` body.
#[derive(Serialize, ToSchema)]
pub struct CreatePlaylistBody {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Default true.
    pub public: Option<bool>,
    /// Default false; only for private lists.
    pub collaborative: Option<bool>,
    #[schema(max_length = 300)]
    pub description: Option<String>,
}

/// `POST /alexa/api/users/{id}/disable`.
#[derive(Serialize, ToSchema)]
pub struct Unlinked {
    pub unlinked: bool,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "mocklink", description = "set at run time"),
    paths(
        crate::startup::healthz, crate::startup::readyz, openapi_json, crate::metrics::metrics,
        crate::admin::list_scenarios, crate::admin::add_scenario, crate::admin::delete_scenario,
        crate::admin::clear_scenarios, crate::admin::revoke_user, crate::admin::clock,
        crate::admin::advance_clock, crate::admin::reset_clock, crate::admin::mint_token,
        crate::admin::inspector::list_records, crate::admin::inspector::export_records,
        crate::admin::inspector::clear_records,
        crate::provider::token::token,
        crate::provider::endpoints::revoke,
        crate::provider::endpoints::introspect,
        crate::provider::endpoints::metadata,
        crate::provider::endpoints::jwks,
        crate::api::me::me,
        crate::api::me::user,
        crate::api::player::state,
        crate::api::player::transfer,
        crate::api::player::currently_playing,
        crate::api::player::devices,
        crate::api::player::recently_played,
        crate::api::player::play,
        crate::api::player::pause,
        crate::api::player::next,
        crate::api::player::previous,
        crate::api::player::seek,
        crate::api::player::volume,
        crate::api::player::shuffle,
        crate::api::player::repeat,
        crate::api::player::queue_view,
        crate::api::player::queue,
        crate::api::playlists::mine,
        crate::api::playlists::create_mine,
        crate::api::playlists::of_user,
        crate::api::playlists::create_for_user,
        crate::api::playlists::get,
        crate::api::playlists::items,
        crate::api::playlists::add,
        crate::api::library::saved_tracks,
        crate::api::library::save_tracks,
        crate::api::library::remove_tracks,
        crate::api::library::tracks_contain,
        crate::api::library::library_add,
        crate::api::library::library_remove,
        crate::api::library::library_contains,
        crate::api::library::top,
        crate::api::browse::track,
        crate::api::browse::album,
        crate::api::browse::album_tracks,
        crate::api::browse::artist,
        crate::api::browse::several_tracks,
        crate::api::browse::several_artists,
        crate::api::browse::artist_top_tracks,
        crate::api::browse::artist_albums,
        crate::api::browse::search,
        crate::skill::endpoint,
        crate::alexa::web::api_users,
        crate::alexa::web::api_create_user,
        crate::alexa::web::api_user,
        crate::alexa::web::api_enable,
        crate::alexa::web::api_disable,
        crate::alexa::web::api_talk,
        crate::alexa::web::api_flow,
    ),
    components(schemas(OAuthErrorBody, SpotifyErrorBody, AlexaErrorBody)),
    modifiers(&Security, &Aliases),
    tags(
        (name = "provider", description = "OAuth 2.0 authorization server"),
        (name = "api", description = "Spotify-shaped Web API"),
        (name = "skill", description = "The bundled Alexa custom skill"),
        (name = "alexa", description = "Alexa simulator JSON API"),
        (name = "ops", description = "Health and this document"),
    )
)]
struct ApiDoc;

/// The bearer scheme of /v1 (RFC 9068 JWTs from the provider), as OAuth 2.0
/// flows with the Spotify scopes, plus HTTP Basic client authentication.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let scopes = || {
            Scopes::from_iter(
                crate::domain::SPOTIFY_SCOPES
                    .iter()
                    .map(|(s, d)| (s.to_string(), d.to_string())),
            )
        };
        components.add_security_scheme(
            "bearer",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [
                    Flow::AuthorizationCode(AuthorizationCode::new(
                        "/authorize",
                        "/api/token",
                        scopes(),
                    )),
                    Flow::ClientCredentials(ClientCredentials::new("/api/token", scopes())),
                ],
                "A JWT access token from this provider, in `Authorization: Bearer` only.",
            )),
        );
        components.add_security_scheme(
            "client_basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    }
}

/// Routes served by the same handler as a documented one.
const ALIASES: &[(&str, &str)] = &[("/v1/playlists/{id}/tracks", "/v1/playlists/{id}/items")];

struct Aliases;

impl Modify for Aliases {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for (alias, of) in ALIASES {
            if let Some(item) = doc.paths.paths.get(*of).cloned() {
                doc.paths.paths.insert(alias.to_string(), item);
            }
        }
    }
}

/// The document, with the left-out routes named in its description.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let left_out: Vec<String> = NOT_DOCUMENTED
        .iter()
        .map(|(m, p)| format!("`{m} {p}`"))
        .collect();
    doc.info.description = Some(format!("{DESCRIPTION}{}.", left_out.join(", ")));
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// `GET /openapi.json`
#[utoipa::path(get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "This OpenAPI 3 document", content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = DOC.get_or_init(|| {
        document()
            .to_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.as_str())
}
