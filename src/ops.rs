//! Health endpoints every instance serves, whatever its roles: liveness and
//! readiness for container orchestrators and `mocklink healthcheck`.

use crate::store::Store;
use actix_web::{web, HttpResponse};

/// `GET /healthz`: liveness.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, description = "`ok`", content_type = "text/plain")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// `GET /readyz`: the database answers and is migrated.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, description = "`ready`", content_type = "text/plain"),
              (status = 503, description = "Migrations pending or database unavailable", content_type = "text/plain")))]
pub async fn readyz(store: web::Data<Store>) -> HttpResponse {
    match store.ready().await {
        Ok(true) => HttpResponse::Ok().body("ready"),
        Ok(false) => HttpResponse::ServiceUnavailable().body("migrations pending"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().body("database unavailable")
        }
    }
}
