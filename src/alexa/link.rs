//! Account linking as Alexa does it (alexa.md §2): enable → authorize URL,
//! callback at `/api/skill/link/{vendorId}` → state check → code exchange,
//! lazy refresh near expiry, unlink on refresh failure or "Disable skill".

use super::deliver::{self, SentRequest};
use super::oauth::{self, FlowCtx};
use super::rules::{self, RedirectChoice};
use super::{AlexaError, LinkFailure};
use crate::alexa::SimulatorState;
use crate::store::{digest, AlexaLink, FlowFinding, LinkAttempt};
use crate::wire::alexa::envelope::{SKILL_DISABLED, SKILL_ENABLED};
use oauth2::{CsrfToken, PkceCodeChallenge, RequestTokenError, Scope, TokenResponse};

pub use super::callback::{callback, Callback, Linked};

/// How long Alexa waits for the user to come back from the login page.
const ATTEMPT_TTL_SECONDS: i64 = 1800;

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Enabled {
    pub authorize_url: String,
    pub flow_id: String,
    /// The `AlexaSkillEvent.SkillEnabled` sent, when the skill was not enabled yet.
    pub skill_event: Option<SentRequest>,
    /// NA, EU or FE: the user's region.
    pub region: String,
    /// The redirect URL this linking sends: Alexa's for the region, or the
    /// simulator's own callback.
    pub redirect_uri: String,
    /// Alexa's redirect URL for the user's region (what Alexa would send).
    pub regional_redirect_uri: String,
    /// The rules checked so far (the console's URIs, the preflight).
    pub findings: Vec<FlowFinding>,
}

/// The simulator's "now" for its links: Alexa's side of the client it
/// links as, so advancing that client's virtual clock makes its stored
/// tokens expire here too and the next request refreshes them.
pub(crate) fn link_now(state: &SimulatorState) -> i64 {
    state.clock.now_for(&state.skill.linking.client_id)
}

/// "Enable skill": the authorize URL to send the browser to, after checking
/// the console's URIs and whether the provider accepts Alexa's redirect URL
/// for the user's region (the preflight).
pub async fn enable(
    state: &SimulatorState,
    user_id: &str,
    choice: RedirectChoice,
) -> Result<Enabled, AlexaError> {
    let user = super::user(state, user_id).await?;
    // Enabling comes first (a new userId after a disable), then linking.
    let skill_event = enable_only(state, &user).await?;
    let s = &state.settings;
    let cfg = &state.skill.linking;
    let strict = rules::strict(state);
    let region = deliver::region_of(&user);
    let regional = region.redirect_uri(&cfg.vendor_id);
    let local = s.alexa_redirect_url();
    // One state and PKCE pair, whichever redirect URL carries them.
    let csrf = CsrfToken::new_random();
    let pkce = cfg.pkce.then(PkceCodeChallenge::new_random_sha256);
    let url_for = |redirect: &str| -> Result<String, AlexaError> {
        let client = cfg.client(redirect).map_err(AlexaError::Config)?;
        let mut req = client.authorize_url(|| csrf.clone());
        for scope in &cfg.scopes {
            req = req.add_scope(Scope::new(scope.clone()));
        }
        if let Some((challenge, _)) = &pkce {
            req = req.set_pkce_challenge(challenge.clone());
        }
        Ok(req.url().0.to_string())
    };
    let regional_url = url_for(&regional)?;
    let now = link_now(state);
    let flow_id = uuid::Uuid::new_v4().to_string();
    let flow = FlowCtx {
        store: &state.store,
        flow_id: &flow_id,
        user_id,
        now,
    };
    flow.note(
        "enable skill",
        format!(
            "client_id={} scheme={:?} pkce={} scopes=\"{}\" token_url={} region={} strict={strict}",
            cfg.client_id,
            cfg.scheme,
            cfg.pkce,
            cfg.scopes.join(" "),
            cfg.token_url,
            region.code(),
        ),
    )
    .await;
    let mut findings =
        rules::record(&flow, "enable skill", &rules::uri_findings(cfg, strict)).await;
    let http = &state.runtime.http;
    let preflight = rules::preflight(http, &regional_url, &regional, region).await;
    flow.note(
        "preflight",
        format!(
            "GET {} (redirects not followed): {}",
            oauth::redact_url(&regional_url),
            preflight.evidence
        ),
    )
    .await;
    findings.extend(rules::record(&flow, "preflight", &[preflight]).await);
    if strict {
        if let Some(failed) = rules::first_failure(&findings) {
            let reason = format!(
                "Alexa's rules refuse this skill's account linking (alexa_strict): {}",
                rules::line(failed)
            );
            flow.note("result", format!("{reason}; not linked")).await;
            return Err(AlexaError::Unlinked(Box::new(LinkFailure {
                skill_name: state.skill.name.clone(),
                code: "link_refused",
                reason,
                flow_id,
                findings,
            })));
        }
    }
    let (redirect_uri, url) = match choice {
        RedirectChoice::Regional => (regional.clone(), regional_url),
        RedirectChoice::Local => {
            let url = url_for(&local)?;
            (local, url)
        }
        RedirectChoice::Auto => {
            let local_url = url_for(&local)?;
            match rules::judge(http, &local_url, &local).await {
                rules::Judgement::Accepted(_) => (local, local_url),
                _ => (regional.clone(), regional_url),
            }
        }
    };
    flow.note(
        "redirect URL",
        if redirect_uri == regional {
            format!(
                "Alexa's {} redirect URL {regional}: the browser ends on Amazon's host; paste that address on the user page (or POST it to /alexa/api/users/{{id}}/paste)",
                region.code()
            )
        } else {
            format!(
                "the simulator's own callback {redirect_uri}, so the browser comes back by itself; Alexa would send {regional}"
            )
        },
    )
    .await;
    state
        .store
        .insert_link_attempt(
            &LinkAttempt {
                flow_id: flow_id.clone(),
                state_hash: digest(csrf.secret()),
                user_id: user_id.to_owned(),
                skill_key: state.skill.key.clone(),
                pkce_verifier: pkce.map(|(_, v)| v.secret().to_owned()),
                redirect_uri: redirect_uri.clone(),
                expires_at: now + ATTEMPT_TTL_SECONDS,
            },
            now,
        )
        .await?;
    flow.request(
        "authorize (browser)",
        "GET",
        &url,
        serde_json::json!({}),
        String::new(),
    )
    .await;
    tracing::info!(event = "alexa_enable", user = %user_id, flow = %flow_id, "skill enablement started");
    Ok(Enabled {
        authorize_url: url,
        flow_id,
        skill_event,
        region: region.code().to_owned(),
        redirect_uri,
        regional_redirect_uri: regional,
        findings,
    })
}

/// "Enable skill" of a skill that allows enabling without account linking
/// (`skip_on_enablement`): enabled, not linked; the user links later.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct EnabledOnly {
    pub skill: String,
    /// The userId the skill sees.
    pub skill_user_id: String,
    /// Always false: no linking was started.
    pub linking_started: bool,
    /// The `AlexaSkillEvent.SkillEnabled` sent, when the skill was not enabled yet.
    pub skill_event: Option<SentRequest>,
}

/// Enables without linking, as Alexa does for a skill whose account linking
/// is optional at enablement.
pub async fn enable_without_linking(
    state: &SimulatorState,
    user_id: &str,
) -> Result<EnabledOnly, AlexaError> {
    let user = super::user(state, user_id).await?;
    let skill_event = enable_only(state, &user).await?;
    let user = super::user(state, user_id).await?;
    Ok(EnabledOnly {
        skill: state.skill.key.clone(),
        skill_user_id: deliver::skill_user_id(state, &user).await?,
        linking_started: false,
        skill_event,
    })
}

/// Enables the skill for the user without linking (a new userId after a
/// disable, and `SkillEnabled`); nothing if it is enabled already.
pub async fn enable_only(
    state: &SimulatorState,
    user: &crate::store::AlexaUser,
) -> Result<Option<SentRequest>, AlexaError> {
    if user.skill_enabled {
        return Ok(None);
    }
    let skill_user = deliver::skill_user_id(state, user).await?;
    state
        .store
        .set_alexa_enablement(&user.id, &state.skill.key, true, Some(&skill_user))
        .await?;
    deliver::note_plain(
        state,
        &user.id,
        state.clock.now(),
        "enable",
        format!(
            "skill {} enabled; the skill sees userId {skill_user}",
            state.skill.key
        ),
    )
    .await;
    deliver::skill_event(state, user, &skill_user, SKILL_ENABLED, None).await
}

pub(super) fn store_token(
    state: &SimulatorState,
    user_id: &str,
    flow_id: &str,
    token: &oauth::AlexaTokenResponse,
    old_refresh: Option<&str>,
    now: i64,
) -> AlexaLink {
    let cfg = &state.skill.linking;
    let lifetime = token
        .expires_in()
        // Any provider may answer anything: keep huge values from wrapping.
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(cfg.default_expiration_seconds);
    AlexaLink {
        user_id: user_id.to_owned(),
        skill_key: state.skill.key.clone(),
        flow_id: flow_id.to_owned(),
        access_token: token.access_token().secret().to_owned(),
        // A refresh response without a refresh token keeps the old one.
        refresh_token: token
            .refresh_token()
            .map(|r| r.secret().to_owned())
            .or_else(|| old_refresh.map(str::to_owned)),
        expires_at: now.saturating_add(lifetime),
        scopes: token
            .scopes()
            .map(|v| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| cfg.scopes.join(" ")),
        linked_at: now,
        refreshed_at: None,
        refresh_failures: 0,
        next_refresh_at: None,
    }
}

type TokenError =
    RequestTokenError<oauth2::HttpClientError<reqwest::Error>, oauth2::basic::BasicErrorResponse>;

/// A short, secret-free account of a failed token request.
pub(super) fn describe(e: &TokenError) -> String {
    match e {
        RequestTokenError::ServerResponse(r) => format!(
            "{}{}",
            r.error(),
            r.error_description()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        ),
        RequestTokenError::Request(oauth2::HttpClientError::Reqwest(re)) if re.is_timeout() => {
            "the token endpoint did not answer: timed out after 4.5 s".to_owned()
        }
        RequestTokenError::Request(oauth2::HttpClientError::Reqwest(re)) => {
            format!("the token endpoint could not be reached ({re})")
        }
        RequestTokenError::Request(other) => format!("request failed ({other})"),
        RequestTokenError::Parse(err, _) => {
            format!("the token endpoint's answer is not a valid token response ({err})")
        }
        RequestTokenError::Other(o) => o.clone(),
    }
}

/// "Disable skill": Alexa forgets the tokens; nothing is sent to the provider.
pub async fn disable(state: &SimulatorState, user_id: &str) -> Result<bool, AlexaError> {
    let user = super::user(state, user_id).await?;
    // Not while a refresh is saving a new token: it would bring the link back.
    let guard = state.runtime.refresh_lock.lock().await;
    let key = &state.skill.key;
    let link = state.store.alexa_link(user_id, key).await?;
    let removed = state.store.delete_alexa_link(user_id, key).await?;
    state.store.set_alexa_session(user_id, key, None).await?;
    drop(guard);
    if user.skill_enabled || link.is_some() {
        // The skill hears of it under the userId it knew; the next enable
        // gets a new one, as on Alexa.
        let skill_user = deliver::skill_user_id(state, &user).await?;
        state
            .store
            .set_alexa_enablement(user_id, key, false, None)
            .await?;
        deliver::note_plain(
            state,
            user_id,
            state.clock.now(),
            "disable",
            format!("skill {key} disabled; tokens deleted; userId {skill_user} is retired"),
        )
        .await;
        deliver::skill_event(state, &user, &skill_user, SKILL_DISABLED, None).await?;
    }
    if let Some(l) = link {
        FlowCtx {
            store: &state.store,
            flow_id: &l.flow_id,
            user_id,
            now: link_now(state),
        }
        .note("disable skill", "the skill was disabled; tokens deleted")
        .await;
    }
    Ok(removed)
}
