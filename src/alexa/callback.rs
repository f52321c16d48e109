//! The way back to Alexa: the redirect to the simulator's own
//! `/api/skill/link/{vendorId}`, or the address the browser ended on at
//! Amazon's regional host, pasted. Either way the state is checked, the code
//! exchanged with the redirect URL the linking sent, and every rule applied.

use super::deliver::{self, SentRequest};
use super::link::{describe, link_now, store_token};
use super::oauth::{self, FlowCtx, Measured};
use super::rules;
use super::{AlexaError, LinkFailure};
use crate::alexa::SimulatorState;
use crate::linkcheck::{check_callback, check_token_answer, Grant};
use crate::store::{digest, FlowFinding, LinkAttempt};
use crate::wire::alexa::envelope::SKILL_ACCOUNT_LINKED;
use oauth2::{AuthorizationCode, PkceCodeVerifier};
use std::sync::Mutex;

/// What came back to the redirect URL.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Linked {
    pub user_id: String,
    /// The simulated skill linked (its key), and its name.
    pub skill: String,
    pub skill_name: String,
    pub flow_id: String,
    /// The redirect URL sent to the authorization and token URIs.
    pub redirect_uri: String,
    /// The `AlexaSkillEvent.SkillAccountLinked` sent.
    pub skill_event: Option<SentRequest>,
    /// Every rule checked in this flow, from "Enable skill" to the exchange.
    pub findings: Vec<FlowFinding>,
}

/// `GET /api/skill/link/{vendorId}?code&state`: checks the state and
/// exchanges the code at the Access Token URI.
pub async fn callback(
    state: &SimulatorState,
    vendor_id: &str,
    raw_query: &str,
    cb: &Callback,
) -> Result<Linked, AlexaError> {
    check_vendor(state, vendor_id)?;
    let attempt = take_attempt(state, cb, link_now(state)).await?;
    // The state names the linking, and so the simulated skill it is for.
    let state = &state.with_skill(Some(&attempt.skill_key)).await?;
    let landed = format!("{}?{raw_query}", attempt.redirect_uri);
    complete(state, attempt, &landed, cb, link_now(state)).await
}

fn check_vendor(state: &SimulatorState, vendor_id: &str) -> Result<(), AlexaError> {
    if vendor_id != state.settings.alexa_vendor_id {
        return Err(AlexaError::NotFound(format!(
            "no skill is registered for vendor id {vendor_id}"
        )));
    }
    Ok(())
}

async fn take_attempt(
    state: &SimulatorState,
    cb: &Callback,
    now: i64,
) -> Result<LinkAttempt, AlexaError> {
    let attempt = match cb.state.as_deref() {
        Some(s) if !s.is_empty() => state.store.take_link_attempt(&digest(s), now).await?,
        _ => None,
    };
    attempt.ok_or_else(|| {
        tracing::warn!(
            event = "alexa_state_mismatch",
            "link callback with an unknown or missing state"
        );
        AlexaError::StateMismatch
    })
}

/// The paste box: the address the browser ended on
/// (`https://layla.amazon.com/api/skill/link/V?code=…&state=…`) completes the
/// linking of `user_id` exactly as Alexa would.
pub async fn paste(
    state: &SimulatorState,
    user_id: &str,
    address: &str,
) -> Result<Linked, AlexaError> {
    super::user(state, user_id).await?;
    let address = address.trim();
    let url = url::Url::parse(address).map_err(|_| {
        AlexaError::BadRequest(
            "Paste the whole address the browser ended on, e.g. https://pitangui.amazon.com/api/skill/link/<vendorId>?code=…&state=…".into(),
        )
    })?;
    let vendor = url
        .path()
        .strip_prefix("/api/skill/link/")
        .filter(|v| !v.is_empty() && !v.contains('/'))
        .ok_or_else(|| {
            AlexaError::BadRequest(format!(
                "{} is not an Alexa account-linking redirect URL (…/api/skill/link/<vendorId>).",
                oauth::redact_url(address)
            ))
        })?;
    check_vendor(state, vendor)?;
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let cb = Callback {
        code: param("code"),
        state: param("state"),
        error: param("error"),
        error_description: param("error_description"),
    };
    let attempt = take_attempt(state, &cb, link_now(state)).await?;
    if attempt.user_id != user_id {
        return Err(AlexaError::StateMismatch);
    }
    let state = &state.with_skill(Some(&attempt.skill_key)).await?;
    let now = link_now(state);
    let mut base = url.clone();
    base.set_query(None);
    base.set_fragment(None);
    if base.as_str() != attempt.redirect_uri {
        let flow = FlowCtx {
            store: &state.store,
            flow_id: &attempt.flow_id,
            user_id,
            now,
        };
        let why = format!(
            "the address is on {base}, but this linking sent the redirect URL {}",
            attempt.redirect_uri
        );
        flow.note("result", format!("{why}; not linked")).await;
        return Err(AlexaError::BadRequest(format!(
            "This is not where this linking returns to: {why}. Enable the skill again."
        )));
    }
    complete(state, attempt, address, &cb, now).await
}

/// The state matched `attempt`: check the redirect, exchange the code.
async fn complete(
    state: &SimulatorState,
    attempt: LinkAttempt,
    landed: &str,
    cb: &Callback,
    now: i64,
) -> Result<Linked, AlexaError> {
    let flow = FlowCtx {
        store: &state.store,
        flow_id: &attempt.flow_id,
        user_id: &attempt.user_id,
        now,
    };
    flow.request(
        "redirect back",
        "GET",
        landed,
        serde_json::json!({}),
        String::new(),
    )
    .await;
    let sent_state = cb.state.clone().unwrap_or_default();
    rules::record(
        &flow,
        "redirect back",
        &[check_callback(&sent_state, landed)],
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
    let cfg = &state.skill.linking;
    // The token request carries the redirect URL the authorization request did.
    let client = cfg
        .client(&attempt.redirect_uri)
        .map_err(AlexaError::Config)?;
    let mut req = client.exchange_code(AuthorizationCode::new(code.to_owned()));
    if let Some(v) = &attempt.pkce_verifier {
        req = req.set_pkce_verifier(PkceCodeVerifier::new(v.clone()));
    }
    let http = &state.runtime.http;
    let sink = Mutex::new(None::<Measured>);
    let sender = |r| flow.send_measured(http, "token exchange", r, &sink);
    let result = req.request_async(&sender).await;
    if let Some(m) = sink.lock().ok().and_then(|mut m| m.take()) {
        let default = u64::try_from(cfg.default_expiration_seconds).ok();
        let answer = m.answer(Grant::AuthorizationCode, default);
        rules::record(&flow, "token exchange", &check_token_answer(&answer)).await;
    }
    let findings = state.store.flow_findings(&attempt.flow_id).await?;
    let fail = |code: &'static str, reason: String, findings: Vec<FlowFinding>| {
        AlexaError::Unlinked(Box::new(LinkFailure {
            skill_name: state.skill.name.clone(),
            code,
            reason,
            flow_id: attempt.flow_id.clone(),
            findings,
        }))
    };
    let token = match result {
        Ok(token) => token,
        Err(e) => {
            let why = describe(&e);
            flow.note(
                "result",
                format!("token exchange failed: {why}; not linked"),
            )
            .await;
            tracing::warn!(event = "alexa_link_failed", user = %attempt.user_id, flow = %attempt.flow_id, reason = %why, "account linking failed");
            return Err(fail(
                "token_exchange_failed",
                format!("The code exchange at the Access Token URI failed: {why}."),
                findings,
            ));
        }
    };
    if rules::strict(state) {
        if let Some(failed) = rules::first_failure(&findings) {
            let reason = format!(
                "Alexa's rules refuse the provider's answer (alexa_strict): {}",
                rules::line(failed)
            );
            flow.note("result", format!("{reason}; not linked")).await;
            return Err(fail("link_refused", reason, findings));
        }
    }
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
        skill: state.skill.key.clone(),
        skill_name: state.skill.name.clone(),
        user_id: attempt.user_id,
        flow_id: attempt.flow_id,
        redirect_uri: attempt.redirect_uri,
        skill_event,
        findings,
    })
}
