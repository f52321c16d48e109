//! `POST /alexa/doctor/skill`: the doctor page's second form, "Check a
//! skill endpoint". It runs what `POST /alexa/api/doctor/skill` runs and
//! renders the HTML report; bad input comes back on the form.

use super::page::{default_form, page_with, report_response};
use super::skill;
use super::skill_api::{check_of, SkillDoctorInput};
use crate::alexa::pages::{check_csrf, SimulatorPageError};
use crate::alexa::{AlexaError, SimulatorState, SimulatorUser};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// The skill form's fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SkillForm {
    csrf_token: Option<String>,
    pub endpoint: String,
    pub skill_id: String,
    pub revoked_token: String,
}

impl SkillForm {
    fn input(&self) -> SkillDoctorInput {
        let optional = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
        SkillDoctorInput {
            endpoint: self.endpoint.trim().to_owned(),
            skill_id: optional(&self.skill_id),
            revoked_token: optional(&self.revoked_token),
            deadline_ms: None,
        }
    }
}

/// `POST /alexa/doctor/skill`
pub(crate) async fn doctor_skill_form(
    _: SimulatorUser,
    req: HttpRequest,
    state: web::Data<SimulatorState>,
    form: web::Form<SkillForm>,
) -> Result<HttpResponse, SimulatorPageError> {
    check_csrf(&req, form.csrf_token.as_deref())?;
    let form = form.into_inner();
    let again = |form: SkillForm, error: String| {
        let provider = default_form(&state);
        Ok(page_with(
            &req,
            &state,
            provider,
            None,
            None,
            form,
            Some(error),
        ))
    };
    let check = match check_of(&state, &form.input()) {
        Ok(c) => c,
        Err(AlexaError::BadRequest(m)) => return again(form, m),
        Err(e) => return Err(e.into()),
    };
    let clock = state.clock.clone();
    let now = move || clock.now();
    match skill::run(&check, state.runtime.signer.clone(), &now, &mut |_| {}).await {
        Ok(report) => report_response(&report).map_err(Into::into),
        Err(m) => again(form, m),
    }
}
