//! The simulator's findings: Alexa's account-linking rules as they judged
//! one link or refresh, kept with the flow they belong to.

use super::{Store, StoreError};
use sqlx::Row;

/// One finding as stored and as the flow's JSON shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FlowFinding {
    /// The step it was found at: `enable skill`, `preflight`, `redirect back`,
    /// `token exchange`, `refresh`.
    pub step: String,
    /// The rule's id (`https`, `lifetime`, `redirect_uri`, …).
    pub rule: String,
    /// `pass`, `warn` or `fail`.
    pub verdict: String,
    /// The rule in one sentence.
    pub text: String,
    /// What was seen.
    pub evidence: String,
    /// What to change; empty when the rule passed.
    pub advice: String,
    /// Amazon does not document this; mocklink assumes what Alexa does.
    pub assumption: bool,
    /// The Amazon page the rule comes from.
    pub page_title: String,
    pub page_url: String,
    /// Virtual clock, seconds.
    pub at: i64,
}

impl Store {
    /// Appends findings to a flow, in order.
    pub async fn append_findings(
        &self,
        flow_id: &str,
        user_id: &str,
        findings: &[FlowFinding],
    ) -> Result<(), StoreError> {
        if findings.is_empty() {
            return Ok(());
        }
        let last: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM alexa_findings WHERE flow_id = $1")
                .bind(flow_id)
                .fetch_one(&self.pool)
                .await?;
        let mut seq = last.unwrap_or(0);
        for f in findings {
            seq += 1;
            sqlx::query(
                "INSERT INTO alexa_findings (id, flow_id, user_id, seq, at, step, rule, verdict, \
                 text, evidence, advice, assumption, page_title, page_url) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(flow_id)
            .bind(user_id)
            .bind(seq)
            .bind(f.at)
            .bind(&f.step)
            .bind(&f.rule)
            .bind(&f.verdict)
            .bind(&f.text)
            .bind(&f.evidence)
            .bind(&f.advice)
            .bind(i64::from(f.assumption))
            .bind(&f.page_title)
            .bind(&f.page_url)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// A flow's findings, oldest first.
    pub async fn flow_findings(&self, flow_id: &str) -> Result<Vec<FlowFinding>, StoreError> {
        sqlx::query(
            "SELECT at, step, rule, verdict, text, evidence, advice, assumption, page_title, \
             page_url FROM alexa_findings WHERE flow_id = $1 ORDER BY seq",
        )
        .bind(flow_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(FlowFinding {
                at: row.try_get("at")?,
                step: row.try_get("step")?,
                rule: row.try_get("rule")?,
                verdict: row.try_get("verdict")?,
                text: row.try_get("text")?,
                evidence: row.try_get("evidence")?,
                advice: row.try_get("advice")?,
                assumption: row.try_get::<i64, _>("assumption")? != 0,
                page_title: row.try_get("page_title")?,
                page_url: row.try_get("page_url")?,
            })
        })
        .collect()
    }
}
