//! "Enable skill" and the paste box: the two ends of a linking in the
//! browser.

use super::*;

/// `POST /alexa/users/{id}/enable`: off to the provider's login page, with
/// the redirect URL chosen by the button (`redirect`: auto, regional, local).
pub(crate) async fn enable_form(
    _: SimulatorUser,
    req: HttpRequest,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    q: web::Query<SkillQuery>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, SimulatorPageError> {
    check_csrf(&req, form.csrf_token.as_deref())?;
    let state = state.with_skill(q.skill.as_deref()).await?;
    let choice = crate::alexa::json_api::redirect_choice(form.redirect.as_deref())?;
    // A skill that may be enabled without linking only enables, unless the
    // button was "Link account".
    if state.skill.skip_on_enablement && form.link.is_none() {
        link::enable_without_linking(&state, &id).await?;
        let notice = "Skill enabled without account linking (the skill allows it); use \"Link account\" to link.";
        return render_user(&req, &state, &id, StatusCode::OK, None, Some(notice)).await;
    }
    let enabled = link::enable(&state, &id, choice).await?;
    Ok(redirect(StatusCode::SEE_OTHER, &enabled.authorize_url))
}

#[derive(Deserialize)]
pub(crate) struct PasteForm {
    csrf_token: Option<String>,
    address: String,
}

/// `POST /alexa/users/{id}/paste`: the address the browser ended on at
/// Alexa's regional redirect URL completes the linking.
pub(crate) async fn paste_form(
    _: SimulatorUser,
    req: HttpRequest,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    q: web::Query<SkillQuery>,
    form: web::Form<PasteForm>,
) -> Result<HttpResponse, SimulatorPageError> {
    check_csrf(&req, form.csrf_token.as_deref())?;
    let state = state.with_skill(q.skill.as_deref()).await?;
    match crate::alexa::callback::paste(&state, &id, &form.address).await {
        Ok(linked) => Ok(super::flow::linked_page(&state, &linked)),
        Err(AlexaError::BadRequest(msg)) => {
            render_user(&req, &state, &id, StatusCode::BAD_REQUEST, None, Some(&msg)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /alexa/users/{id}/disable`
pub(crate) async fn disable_form(
    _: SimulatorUser,
    req: HttpRequest,
    state: web::Data<SimulatorState>,
    id: web::Path<String>,
    q: web::Query<SkillQuery>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, SimulatorPageError> {
    check_csrf(&req, form.csrf_token.as_deref())?;
    let state = state.with_skill(q.skill.as_deref()).await?;
    let removed = link::disable(&state, &id).await?;
    let notice = if removed {
        "Skill disabled: the account link was deleted."
    } else {
        "The skill was not linked."
    };
    render_user(&req, &state, &id, StatusCode::OK, None, Some(notice)).await
}
