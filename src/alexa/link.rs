//! Account linking as Alexa does it (alexa.md §2): enable → authorize URL,
//! callback at `/api/skill/link/{vendorId}` → state check → code exchange,
//! lazy refresh near expiry, unlink on refresh failure or "Disable skill".

use super::deliver::{self, SentRequest};
use super::oauth::{self, FlowCtx};
use super::AlexaError;
use crate::alexa::SimulatorState;
use crate::store::{digest, AlexaLink, LinkAttempt};
use crate::wire::alexa::envelope::{SKILL_ACCOUNT_LINKED, SKILL_DISABLED, SKILL_ENABLED};
use oauth2::{
    AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RequestTokenError, Scope,
    TokenResponse,
};

/// How long Alexa waits for the user to come back from the login page.
const ATTEMPT_TTL_SECONDS: i64 = 1800;

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Enabled {
    pub authorize_url: String,
    pub flow_id: String,
    /// The `AlexaSkillEvent.SkillEnabled` sent, when the skill was not enabled yet.
    pub skill_event: Option<SentRequest>,
}

/// The simulator's "now" for its links: Alexa's side of the client it
/// links as, so advancing that client's virtual clock makes its stored
/// tokens expire here too and the next request refreshes them.
pub(crate) fn link_now(state: &SimulatorState) -> i64 {
    state.clock.now_for(&state.settings.alexa_client_id())
}

/// "Enable skill": the authorize URL to send the browser to.
pub async fn enable(state: &SimulatorState, user_id: &str) -> Result<Enabled, AlexaError> {
    let user = super::user(state, user_id).await?;
    // Enabling comes first (a new userId after a disable), then linking.
    let skill_event = if user.skill_enabled {
        None
    } else {
        let skill_user = deliver::skill_user_id(state, &user).await?;
        state
            .store
            .set_alexa_enablement(user_id, true, Some(&skill_user))
            .await?;
        deliver::note_plain(
            state,
            user_id,
            state.clock.now(),
            "enable",
            format!("skill enabled; the skill sees userId {skill_user}"),
        )
        .await;
        deliver::skill_event(state, &user, &skill_user, SKILL_ENABLED, None).await?
    };
    let s = &state.settings;
    let client = oauth::client(s).map_err(AlexaError::Config)?;
    let mut req = client.authorize_url(CsrfToken::new_random);
    for scope in s.simulator.scopes.split_whitespace() {
        req = req.add_scope(Scope::new(scope.to_owned()));
    }
    let verifier = if s.simulator.pkce {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        req = req.set_pkce_challenge(challenge);
        Some(verifier)
    } else {
        None
    };
    let (url, csrf) = req.url();
    let now = link_now(state);
    let flow_id = uuid::Uuid::new_v4().to_string();
    state
        .store
        .insert_link_attempt(
            &LinkAttempt {
                flow_id: flow_id.clone(),
                state_hash: digest(csrf.secret()),
                user_id: user_id.to_owned(),
                pkce_verifier: verifier.map(|v| v.secret().to_owned()),
                redirect_uri: s.alexa_redirect_url(),
                expires_at: now + ATTEMPT_TTL_SECONDS,
            },
            now,
        )
        .await?;
    let flow = FlowCtx {
        store: &state.store,
        flow_id: &flow_id,
        user_id,
        now,
    };
    flow.note(
        "enable skill",
        format!(
            "client_id={} scheme={:?} pkce={} scopes=\"{}\" token_url={}",
            s.alexa_client_id(),
            s.simulator.access_token_scheme,
            s.simulator.pkce,
            s.simulator.scopes,
            s.alexa_token_url()
        ),
    )
    .await;
    flow.request(
        "authorize (browser)",
        "GET",
        url.as_str(),
        serde_json::json!({}),
        String::new(),
    )
    .await;
    tracing::info!(event = "alexa_enable", user = %user_id, flow = %flow_id, "skill enablement started");
    Ok(Enabled {
        authorize_url: url.to_string(),
        flow_id,
        skill_event,
    })
}

/// What came back to the redirect URL.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Linked {
    pub user_id: String,
    pub flow_id: String,
    /// The `AlexaSkillEvent.SkillAccountLinked` sent.
    pub skill_event: Option<SentRequest>,
}

/// `GET /api/skill/link/{vendorId}?code&state`: checks the state and
/// exchanges the code at the Access Token URI.
pub async fn callback(
    state: &SimulatorState,
    vendor_id: &str,
    raw_query: &str,
    cb: &Callback,
) -> Result<Linked, AlexaError> {
    if vendor_id != state.settings.alexa_vendor_id {
        return Err(AlexaError::NotFound(format!(
            "no skill is registered for vendor id {vendor_id}"
        )));
    }
    let now = link_now(state);
    let attempt = match cb.state.as_deref() {
        Some(s) if !s.is_empty() => state.store.take_link_attempt(&digest(s), now).await?,
        _ => None,
    };
    let Some(attempt) = attempt else {
        tracing::warn!(
            event = "alexa_state_mismatch",
            "link callback with an unknown or missing state"
        );
        return Err(AlexaError::StateMismatch);
    };
    let flow = FlowCtx {
        store: &state.store,
        flow_id: &attempt.flow_id,
        user_id: &attempt.user_id,
        now,
    };
    flow.request(
        "redirect back",
        "GET",
        &format!("{}?{raw_query}", attempt.redirect_uri),
        serde_json::json!({}),
        String::new(),
    )
    .await;
    if let Some(error) = &cb.error {
        let description = cb.error_description.clone().unwrap_or_default();
        flow.note(
            "result",
            format!("the provider redirected with error={error}: {description}; not linked"),
        )
        .await;
        return Err(AlexaError::Provider {
            error: error.clone(),
            description,
        });
    }
    let Some(code) = cb.code.as_deref().filter(|c| !c.is_empty()) else {
        flow.note("result", "the redirect carried no code; not linked")
            .await;
        return Err(AlexaError::BadRequest(
            "The redirect carried neither a code nor an error.".into(),
        ));
    };
    let client = oauth::client(&state.settings).map_err(AlexaError::Config)?;
    let mut req = client.exchange_code(AuthorizationCode::new(code.to_owned()));
    if let Some(v) = &attempt.pkce_verifier {
        req = req.set_pkce_verifier(PkceCodeVerifier::new(v.clone()));
    }
    let http = &state.runtime.http;
    let sender = |r| flow.send(http, "token exchange", r);
    match req.request_async(&sender).await {
        Ok(token) => {
            let link = store_token(state, &attempt.user_id, &attempt.flow_id, &token, None, now);
            state.store.save_alexa_link(&link).await?;
            flow.note(
                "result",
                format!(
                    "linked; access token {} expires in {} s; refresh token {}",
                    oauth::hint(&link.access_token),
                    link.expires_at - now,
                    if link.refresh_token.is_some() {
                        "received"
                    } else {
                        "MISSING (the link will break at expiry)"
                    }
                ),
            )
            .await;
            tracing::info!(event = "alexa_linked", user = %attempt.user_id, flow = %attempt.flow_id, "account linked");
            let user = super::user(state, &attempt.user_id).await?;
            let skill_user = deliver::skill_user_id(state, &user).await?;
            deliver::note_plain(
                state,
                &user.id,
                state.clock.now(),
                "link",
                "account linked".into(),
            )
            .await;
            let skill_event = deliver::skill_event(
                state,
                &user,
                &skill_user,
                SKILL_ACCOUNT_LINKED,
                Some(link.access_token.clone()),
            )
            .await?;
            Ok(Linked {
                user_id: attempt.user_id,
                flow_id: attempt.flow_id,
                skill_event,
            })
        }
        Err(e) => {
            let why = describe(&e);
            flow.note(
                "result",
                format!("token exchange failed: {why}; not linked"),
            )
            .await;
            tracing::warn!(event = "alexa_link_failed", user = %attempt.user_id, flow = %attempt.flow_id, reason = %why, "account linking failed");
            Err(AlexaError::Exchange(why))
        }
    }
}

pub(super) fn store_token(
    state: &SimulatorState,
    user_id: &str,
    flow_id: &str,
    token: &oauth::AlexaTokenResponse,
    old_refresh: Option<&str>,
    now: i64,
) -> AlexaLink {
    let s = &state.settings;
    let lifetime = token
        .expires_in()
        // Any provider may answer anything: keep huge values from wrapping.
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(s.simulator.default_token_expiration_seconds);
    AlexaLink {
        user_id: user_id.to_owned(),
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
            .unwrap_or_else(|| s.simulator.scopes.clone()),
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
    let link = state.store.alexa_link(user_id).await?;
    let removed = state.store.delete_alexa_link(user_id).await?;
    state.store.set_alexa_session(user_id, None).await?;
    drop(guard);
    if user.skill_enabled || link.is_some() {
        // The skill hears of it under the userId it knew; the next enable
        // gets a new one, as on Alexa.
        let skill_user = deliver::skill_user_id(state, &user).await?;
        state
            .store
            .set_alexa_enablement(user_id, false, None)
            .await?;
        deliver::note_plain(
            state,
            user_id,
            state.clock.now(),
            "disable",
            format!("skill disabled; tokens deleted; userId {skill_user} is retired"),
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
