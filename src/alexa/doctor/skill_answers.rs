//! The doctor's checks on valid requests: the account-linking answers, the
//! built-in intents, `SessionEndedRequest`, and the limits every answer
//! keeps (time, size, speech length, schema).

use super::skill::{SkillCheck, TEST_SIGNATURE_NOTE, UNSIGNED_NOTE};
use super::skill_probe::{self as probe, Answer, Probe, Signing, GARBAGE_TOKEN};
use super::skill_schema::{self as schema, MAX_RESPONSE_BYTES, MAX_SPEECH_CHARS};
use crate::linkcheck::{Finding, Rule, Step};
use serde_json::Value;

/// Which token a linking request carries.
pub enum TokenCase {
    Missing,
    Garbage,
    Revoked(String),
}

impl TokenCase {
    fn label(&self) -> &'static str {
        match self {
            TokenCase::Missing => "without accessToken",
            TokenCase::Garbage => "with a garbage token",
            TokenCase::Revoked(_) => "with a revoked token",
        }
    }

    fn token(&self) -> Option<&str> {
        match self {
            TokenCase::Missing => None,
            TokenCase::Garbage => Some(GARBAGE_TOKEN),
            TokenCase::Revoked(t) => Some(t),
        }
    }
}

/// An answer to a valid request, judged by the rules every answer keeps.
pub struct Judged {
    /// The answer as JSON, when it was a 200 with a JSON body.
    pub value: Option<Value>,
    /// A 200 with a body that passes the schema, size and speech rules.
    pub valid: bool,
    /// Why it is not valid, for the step's own rule.
    pub problem: Option<String>,
    pub findings: Vec<Finding>,
}

/// Time, status, size, schema and speech of one answer.
pub fn judge(answer: &Answer, check: &SkillCheck, signed: bool) -> Judged {
    let mut findings = Vec::new();
    let deadline_ms = check.deadline.as_millis();
    let ms = answer.elapsed.as_millis();
    let eight = || {
        Finding::fail(
        Rule::SkillResponseTime,
        format!("no answer within {deadline_ms} ms"),
        "answer within about 8 s: do slow work after answering (progressive response) or give the skill's own calls a budget",
    )
    };
    if answer.timed_out {
        findings.push(eight().assumed());
        return Judged {
            value: None,
            valid: false,
            problem: Some(format!(
                "no answer within {deadline_ms} ms (ENDPOINT_TIMEOUT)"
            )),
            findings,
        };
    }
    let Some(status) = answer.status else {
        return Judged {
            value: None,
            valid: false,
            problem: Some(format!(
                "no answer: {}",
                answer.error.as_deref().unwrap_or("unknown error")
            )),
            findings,
        };
    };
    if ms > deadline_ms {
        findings.push(eight().assumed());
    } else {
        findings.push(
            Finding::pass(
                Rule::SkillResponseTime,
                format!("answered in {ms} ms (limit {deadline_ms} ms)"),
            )
            .assumed(),
        );
    }
    if status != 200 {
        let hint = match (status, signed) {
            (400, true) => format!(" — if the skill verifies signatures against Amazon's root, it refuses the doctor's test signature. {TEST_SIGNATURE_NOTE}"),
            (400, false) => format!(" — {UNSIGNED_NOTE}"),
            _ => String::new(),
        };
        return Judged {
            value: None,
            valid: false,
            problem: Some(format!(
                "HTTP {status} to a valid request (Alexa: INVALID_RESPONSE){hint}"
            )),
            findings,
        };
    }
    let mut problem = None;
    let size = answer.body.len();
    if size > MAX_RESPONSE_BYTES {
        findings.push(Finding::fail(
            Rule::ResponseSize,
            format!("the response is {size} bytes, over 24 KB ({MAX_RESPONSE_BYTES} bytes)"),
            "shorten the response; Alexa refuses it with INVALID_RESPONSE",
        ));
        problem = Some(format!("the response is {size} bytes, over 24 KB"));
    } else {
        findings.push(Finding::pass(
            Rule::ResponseSize,
            format!("{size} bytes (limit 24 KB)"),
        ));
    }
    let value = match serde_json::from_slice::<Value>(&answer.body) {
        Ok(v) => v,
        Err(e) => {
            findings.push(Finding::fail(
                Rule::ResponseSchema,
                format!("the answer is not JSON ({e})"),
                "answer with a JSON response envelope, Content-Type application/json",
            ));
            return Judged {
                value: None,
                valid: false,
                problem: Some("the answer is not JSON".into()),
                findings,
            };
        }
    };
    let problems = schema::validate(&value);
    if problems.is_empty() {
        findings.push(Finding::pass(
            Rule::ResponseSchema,
            "a valid response envelope",
        ));
    } else {
        findings.push(Finding::fail(
            Rule::ResponseSchema,
            problems.join("; "),
            "build the response as ask-sdk-model's ResponseEnvelope (version \"1.0\", response.outputSpeech, card, reprompt, shouldEndSession as a boolean)",
        ));
        problem = Some(format!("an invalid response ({})", problems.join("; ")));
    }
    for (field, text) in schema::speeches(&value) {
        let n = text.chars().count();
        if n > MAX_SPEECH_CHARS {
            findings.push(Finding::fail(
                Rule::SpeechLength,
                format!("{field} is {n} characters; Alexa allows fewer than 8,000"),
                "say less, or split the answer over turns",
            ));
            problem = Some(format!("{field} is {n} characters"));
        } else {
            findings.push(Finding::pass(
                Rule::SpeechLength,
                format!("{field} is {n} characters"),
            ));
        }
    }
    Judged {
        valid: problem.is_none(),
        value: Some(value),
        problem,
        findings,
    }
}

/// Speech that hides the cause from the user.
fn generic_error(speech: &str) -> bool {
    let s = speech.to_lowercase();
    [
        "something went wrong",
        "there was a problem",
        "an error occurred",
        "there was an error",
        "try again later",
    ]
    .iter()
    .any(|p| s.contains(p))
}

fn speech_of(value: &Value) -> String {
    schema::speeches(value)
        .into_iter()
        .find(|(f, _)| *f == "outputSpeech")
        .map(|(_, t)| t)
        .unwrap_or_default()
}

/// A LaunchRequest or an IntentRequest for a custom intent, with no, a
/// garbage or a revoked token: the answer must ask the user to link.
pub async fn linking_step(
    probe: &Probe,
    check: &SkillCheck,
    case: &TokenCase,
    intent: Option<&str>,
    signed: bool,
    now: i64,
) -> Step {
    let request = match intent {
        Some(name) => probe::intent(name, now),
        None => probe::launch(now),
    };
    let what = match intent {
        Some(name) => format!("IntentRequest {name}"),
        None => "LaunchRequest".to_owned(),
    };
    let envelope = probe.envelope(request, &check.skill_id, case.token(), now);
    let answer = probe.send(&envelope, Signing::Valid).await;
    let mut judged = judge(&answer, check, signed);
    let rule = match case {
        TokenCase::Missing => Rule::LinkAccountCard,
        _ => Rule::InvalidToken,
    };
    let label = format!("{what} {}", case.label());
    let finding = match (&judged.value, &judged.problem) {
        (Some(v), None) if schema::card_type(v) == Some("LinkAccount") => {
            let speech = speech_of(v);
            if speech.to_lowercase().contains("alexa app") {
                Finding::pass(rule, format!("{label}: a LinkAccount card and speech pointing to the Alexa app"))
            } else {
                Finding::warn(
                    rule,
                    format!("{label}: a LinkAccount card, but the speech {speech:?} does not point to the Alexa app"),
                    "tell the user to go to the Alexa app to link the account",
                )
            }
        }
        (Some(v), None) => {
            let speech = speech_of(v);
            let card = schema::card_type(v).unwrap_or("no card");
            let generic = if generic_error(&speech) {
                " (a generic error message: the user is never told to link)"
            } else {
                ""
            };
            Finding::fail(
                rule,
                format!("{label}: {card} and speech {speech:?}{generic}; no LinkAccount card"),
                match case {
                    TokenCase::Missing => "when context.System.user.accessToken is absent, answer with a LinkAccount card and speech sending the user to the Alexa app",
                    _ => "when the provider refuses the token (401), treat the user as unlinked: a LinkAccount card, not an error",
                },
            )
        }
        (_, Some(problem)) => Finding::fail(
            rule,
            format!("{label}: {problem}"),
            "answer with a valid response: a LinkAccount card and speech sending the user to the Alexa app",
        ),
        (None, None) => unreachable!("judge gives a value or a problem"),
    };
    let summary = short(&finding.evidence, &label);
    judged.findings.insert(0, finding);
    Step::new(label, summary, judged.findings, vec![answer.exchange])
}

/// A built-in intent of Amazon's functional tests.
pub async fn built_in_step(
    probe: &Probe,
    check: &SkillCheck,
    intent: &str,
    signed: bool,
    now: i64,
) -> Step {
    let envelope = probe.envelope(probe::intent(intent, now), &check.skill_id, None, now);
    let answer = probe.send(&envelope, Signing::Valid).await;
    let mut judged = judge(&answer, check, signed);
    let rule = Rule::BuiltInIntent;
    let finding = match (&judged.value, &judged.problem) {
        (_, Some(problem)) => Finding::fail(
            rule,
            format!("{intent}: {problem}"),
            format!("handle {intent} with a valid response (the functional tests send it)"),
        ),
        (Some(v), None) => {
            let end = v
                .pointer("/response/shouldEndSession")
                .and_then(Value::as_bool);
            let speech = speech_of(v);
            match intent {
                "AMAZON.StopIntent" | "AMAZON.CancelIntent" if end == Some(false) => Finding::warn(
                    rule,
                    format!("{intent}: the session stays open (shouldEndSession false)"),
                    "end the session on Stop and Cancel",
                ),
                "AMAZON.HelpIntent" if speech.is_empty() || end == Some(true) => Finding::warn(
                    rule,
                    format!("{intent}: no help speech, or the session ends"),
                    "say what the skill can do and keep the session open with a question",
                ),
                _ => Finding::pass(rule, format!("{intent}: a valid response")),
            }
        }
        (None, None) => unreachable!("judge gives a value or a problem"),
    };
    let summary = short(&finding.evidence, intent);
    judged.findings.insert(0, finding);
    Step::new(intent, summary, judged.findings, vec![answer.exchange])
}

/// `SessionEndedRequest` (reason USER_INITIATED): a valid, silent answer.
pub async fn session_ended_step(probe: &Probe, check: &SkillCheck, signed: bool, now: i64) -> Step {
    let envelope = probe.envelope(probe::session_ended(now), &check.skill_id, None, now);
    let answer = probe.send(&envelope, Signing::Valid).await;
    let mut judged = judge(&answer, check, signed);
    let rule = Rule::SessionEnded;
    let finding = match (&judged.value, &judged.problem) {
        (_, Some(problem)) => Finding::fail(
            rule,
            format!("SessionEndedRequest: {problem}"),
            "acknowledge SessionEndedRequest with an empty response ({\"version\":\"1.0\",\"response\":{}})",
        ),
        (Some(v), None) if v.pointer("/response/outputSpeech").is_some() => Finding::warn(
            rule,
            "SessionEndedRequest: the answer has speech, which Alexa never plays",
            "answer SessionEndedRequest with an empty response",
        ),
        _ => Finding::pass(rule, "SessionEndedRequest: a valid response"),
    };
    let summary = short(&finding.evidence, "SessionEndedRequest");
    judged.findings.insert(0, finding);
    Step::new(
        "SessionEndedRequest",
        summary,
        judged.findings,
        vec![answer.exchange],
    )
}

/// A finding's evidence without the step name it starts with.
fn short(evidence: &str, name: &str) -> String {
    evidence
        .strip_prefix(name)
        .and_then(|e| e.strip_prefix(": "))
        .unwrap_or(evidence)
        .to_owned()
}
