//! The simulator's routes: its pages, its JSON API under `/alexa/api`, and
//! the account-linking redirect `/api/skill/link/{vendor}`.

use super::{doctor, json_api, pages, skills_api, AlexaError};
use actix_web::web;

/// Registers the simulator's pages, JSON API and redirect URL.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let json_config = web::JsonConfig::default()
        .limit(16 * 1024)
        .error_handler(|err, _| {
            AlexaError::BadRequest(format!("The JSON body could not be read: {err}")).into()
        });
    let query_config = web::QueryConfig::default().error_handler(|err, _| {
        AlexaError::BadRequest(format!("The query string could not be read: {err}")).into()
    });
    cfg.app_data(json_config)
        .app_data(query_config)
        .route("/alexa", web::get().to(pages::home_page))
        .route("/alexa/users", web::post().to(pages::create_user_form))
        .route("/alexa/skills", web::post().to(pages::create_skill_form))
        .route(
            "/alexa/skills/{key}/delete",
            web::post().to(pages::delete_skill_form),
        )
        .route("/alexa/api/skills", web::get().to(skills_api::api_skills))
        .route(
            "/alexa/api/skills",
            web::post().to(skills_api::api_create_skill),
        )
        .route(
            "/alexa/api/skills/{key}",
            web::get().to(skills_api::api_skill),
        )
        .route(
            "/alexa/api/skills/{key}",
            web::put().to(skills_api::api_put_skill),
        )
        .route(
            "/alexa/api/skills/{key}",
            web::delete().to(skills_api::api_delete_skill),
        )
        .route("/alexa/users/{id}", web::get().to(pages::user_page))
        .route(
            "/alexa/users/{id}/enable",
            web::post().to(pages::enable_form),
        )
        .route(
            "/alexa/users/{id}/disable",
            web::post().to(pages::disable_form),
        )
        .route("/alexa/users/{id}/talk", web::post().to(pages::talk_form))
        .route("/alexa/flows/{flow}", web::get().to(pages::flow_page))
        .route("/alexa/doctor", web::get().to(doctor::page::doctor_page))
        .route("/alexa/doctor", web::post().to(doctor::page::doctor_form))
        .route(
            "/alexa/doctor/skill",
            web::post().to(doctor::skill_page::doctor_skill_form),
        )
        .route(
            "/alexa/api/doctor",
            web::post().to(doctor::page::api_doctor),
        )
        .route(
            "/api/skill/link/{vendor}",
            web::get().to(pages::link_callback),
        )
        .route("/alexa/api/users", web::get().to(json_api::api_users))
        .route(
            "/alexa/api/users",
            web::post().to(json_api::api_create_user),
        )
        .route("/alexa/api/users/{id}", web::get().to(json_api::api_user))
        .route(
            "/alexa/api/users/{id}",
            web::patch().to(json_api::api_change_user),
        )
        .route(
            "/alexa/api/users/{id}/events",
            web::get().to(json_api::api_events),
        )
        .route(
            "/alexa/users/{id}/region",
            web::post().to(pages::region_form),
        )
        .route(
            "/alexa/api/users/{id}/enable",
            web::post().to(json_api::api_enable),
        )
        .route(
            "/alexa/api/users/{id}/disable",
            web::post().to(json_api::api_disable),
        )
        .route(
            "/alexa/api/users/{id}/talk",
            web::post().to(json_api::api_talk),
        )
        .route(
            "/alexa/api/users/{id}/refresh",
            web::post().to(json_api::api_refresh),
        )
        .route(
            "/alexa/api/users/{id}/paste",
            web::post().to(json_api::api_paste),
        )
        .route("/alexa/users/{id}/paste", web::post().to(pages::paste_form))
        .route("/alexa/api/flows/{flow}", web::get().to(json_api::api_flow))
        .route(
            "/alexa/api/doctor/skill",
            web::post().to(doctor::skill_api::api_doctor_skill),
        );
}
