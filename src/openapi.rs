//! The OpenAPI 3 document of the whole JSON surface, generated from the
//! `#[utoipa::path]` annotations next to each handler and served at
//! `GET /openapi.json` by every instance, whatever roles it serves. This
//! module only collects: each role documents its handlers and owns the
//! schemas of what it sends (`<role>::docs`).

use actix_web::HttpResponse;
use utoipa::openapi::security::{AuthorizationCode, ClientCredentials, Http, HttpAuthScheme};
use utoipa::openapi::security::{Flow, OAuth2, Scopes, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
    ("POST", "/alexa/users/{id}/region"),
    ("POST", "/alexa/users/{id}/paste"),
    ("POST", "/alexa/skills"),
    ("POST", "/alexa/skills/{key}/delete"),
    ("GET", "/alexa/flows/{flow}"),
    ("GET", "/alexa/doctor"),
    ("POST", "/alexa/doctor"),
    ("POST", "/alexa/doctor/skill"),
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
    ("GET", "/docs"),
    ("GET", "/docs/explorer.js"),
    ("GET", "/docs/swagger-ui-bundle.js"),
    ("GET", "/docs/swagger-ui.css"),
];

const DESCRIPTION: &str = "\
The JSON surface of mocklink: the OAuth 2.0 provider (`/api/token`, `/api/revoke`, \
`/api/introspect`, metadata, JWKS), the Spotify-shaped Web API under `/v1`, the \
bundled Alexa skill (`POST /alexa/skill`, the default `skill_path`), the Alexa \
simulator's JSON API under `/alexa/api` and the recording proxy under `/proxy`. An instance mounts only the roles it \
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

#[derive(OpenApi)]
#[openapi(
    info(title = "mocklink", description = "set at run time"),
    paths(
        crate::ops::healthz, crate::ops::readyz, openapi_json, crate::metrics::metrics,
        crate::admin::list_scenarios, crate::admin::add_scenario, crate::admin::delete_scenario,
        crate::admin::clear_scenarios, crate::admin::revoke_user, crate::admin::clock,
        crate::admin::advance_clock, crate::admin::reset_clock, crate::admin::mint_token,
        crate::admin::inspector::list_records, crate::admin::inspector::export_records,
        crate::admin::inspector::clear_records,
        crate::provider::token::token,
        crate::provider::revocation::revoke,
        crate::provider::introspection::introspect,
        crate::provider::discovery::metadata,
        crate::provider::discovery::jwks,
        crate::api::me::me,
        crate::api::me::user,
        crate::api::player::state,
        crate::api::player::commands::transfer,
        crate::api::player::currently_playing,
        crate::api::player::devices,
        crate::api::player::history::recently_played,
        crate::api::player::commands::play,
        crate::api::player::controls::pause,
        crate::api::player::controls::next,
        crate::api::player::controls::previous,
        crate::api::player::controls::seek,
        crate::api::player::controls::volume,
        crate::api::player::controls::shuffle,
        crate::api::player::controls::repeat,
        crate::api::player::queue_view,
        crate::api::player::controls::queue,
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
        crate::alexa::json_api::api_users,
        crate::alexa::json_api::api_create_user,
        crate::alexa::json_api::api_user,
        crate::alexa::json_api::api_change_user,
        crate::alexa::json_api::api_events,
        crate::alexa::json_api::api_enable,
        crate::alexa::json_api::api_paste,
        crate::alexa::json_api::api_refresh,
        crate::alexa::json_api::api_disable,
        crate::alexa::json_api::api_talk,
        crate::alexa::json_api::api_flow,
        crate::alexa::skills_api::api_skills,
        crate::alexa::skills_api::api_create_skill,
        crate::alexa::skills_api::api_skill,
        crate::alexa::skills_api::api_put_skill,
        crate::alexa::skills_api::api_delete_skill,
        crate::proxy::forward::token,
        crate::proxy::forward::authorize,
        crate::alexa::doctor::skill_api::api_doctor_skill,
        crate::alexa::doctor::page::api_doctor,
    ),
    components(schemas(
        crate::provider::docs::OAuthErrorBody,
        crate::api::docs::SpotifyErrorBody,
        crate::alexa::docs::AlexaErrorBody,
        crate::alexa::link::EnabledOnly,
        crate::proxy::docs::ProxyErrorBody,
    )),
    modifiers(&Security, &Aliases),
    tags(
        (name = "provider", description = "OAuth 2.0 authorization server"),
        (name = "api", description = "Spotify-shaped Web API"),
        (name = "skill", description = "The bundled Alexa custom skill"),
        (name = "alexa", description = "Alexa simulator JSON API"),
        (name = "proxy", description = "The recording proxy in front of a real provider's token endpoint"),
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
