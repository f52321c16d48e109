//! An independent OAuth provider for the doctor's tests (NOT mocklink): a
//! login form with a hidden CSRF field and a cookie, a consent form, only
//! Alexa's North-America redirect URL registered, and one token-endpoint
//! defect at a time.

use crate::helpers::ALEXA_REDIRECT;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Mutex;

/// What the independent provider gets wrong.
#[derive(Clone, Copy, PartialEq)]
pub enum Defect {
    None,
    HtmlAnswer,
    TextPlain,
    NoTokenType,
    RotateNoRetry,
}

struct Fake {
    defect: Defect,
    used: Mutex<HashSet<String>>,
    next: Mutex<u32>,
}

fn page(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!DOCTYPE html><html><head><title>Acme ID</title></head><body>{body}</body></html>"
        ))
}

fn field(form: &[(String, String)], name: &str) -> String {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

async fn fake_authorize(req: HttpRequest) -> HttpResponse {
    let q: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let redirect = field(&q, "redirect_uri");
    // Only Alexa's North-America URL is registered.
    if redirect != ALEXA_REDIRECT || field(&q, "response_type") != "code" {
        return HttpResponse::BadRequest()
            .content_type("text/html")
            .body("<h1>Error</h1><p>invalid_request: redirect_uri is not registered</p>");
    }
    let esc = |s: String| s.replace('&', "&amp;").replace('"', "&quot;");
    HttpResponse::Ok()
        .cookie(actix_web::cookie::Cookie::new("acme_session", "s1"))
        .content_type("text/html")
        .body(format!(
            "<form method=post action=/session><input type=hidden name=xsrf value=x1>\
             <input type=hidden name=redirect_uri value=\"{}\"><input type=hidden name=state value=\"{}\">\
             <label>E-mail <input name=email type=email></label><input name=secret type=password>\
             <input type=submit value='Sign in'></form>",
            esc(redirect),
            esc(field(&q, "state"))
        ))
}

async fn fake_session(req: HttpRequest, form: web::Form<Vec<(String, String)>>) -> HttpResponse {
    let cookie = req.cookie("acme_session").map(|c| c.value().to_owned());
    if cookie.as_deref() != Some("s1")
        || field(&form, "xsrf") != "x1"
        || field(&form, "email") != "demo"
        || field(&form, "secret") != "demo"
    {
        return HttpResponse::Forbidden().body("bad login");
    }
    page(format!(
        "<p>Allow Mock Music?</p><form method=post action=/allow>\
         <input type=hidden name=redirect_uri value=\"{}\"><input type=hidden name=state value=\"{}\">\
         <button name=answer value=no>Deny</button><button name=answer value=yes>Allow</button></form>",
        field(&form, "redirect_uri"),
        field(&form, "state")
    ))
}

async fn fake_allow(form: web::Form<Vec<(String, String)>>) -> HttpResponse {
    if field(&form, "answer") != "yes" {
        return HttpResponse::BadRequest().body("denied");
    }
    let mut to = url::Url::parse(&field(&form, "redirect_uri")).unwrap();
    to.query_pairs_mut()
        .append_pair("code", "c-1")
        .append_pair("state", &field(&form, "state"));
    HttpResponse::Found()
        .insert_header(("Location", to.to_string()))
        .finish()
}

async fn fake_token(fake: web::Data<Fake>, form: web::Form<Vec<(String, String)>>) -> HttpResponse {
    let mut next = fake.next.lock().unwrap();
    *next += 1;
    let new_refresh = format!("r-{next}");
    if field(&form, "grant_type") == "refresh_token" && fake.defect == Defect::RotateNoRetry {
        let presented = field(&form, "refresh_token");
        if !fake.used.lock().unwrap().insert(presented) {
            return HttpResponse::BadRequest().json(json!({"error": "invalid_grant"}));
        }
    }
    let mut body = json!({"access_token": format!("a-{next}"), "token_type": "Bearer", "expires_in": 3600, "refresh_token": new_refresh});
    match fake.defect {
        Defect::HtmlAnswer => return page("<p>Please log in</p>".into()),
        Defect::TextPlain => {
            return HttpResponse::Ok()
                .content_type("text/plain")
                .body(body.to_string())
        }
        Defect::NoTokenType => {
            body.as_object_mut().unwrap().remove("token_type");
        }
        _ => {}
    }
    HttpResponse::Ok().json(body)
}

/// The independent provider on its own thread and runtime; its base URL.
pub fn start_fake(defect: Defect) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let fake = web::Data::new(Fake {
        defect,
        used: Mutex::default(),
        next: Mutex::default(),
    });
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            actix_web::HttpServer::new(move || {
                actix_web::App::new()
                    .app_data(fake.clone())
                    .route("/oauth/authorize", web::get().to(fake_authorize))
                    .route("/session", web::post().to(fake_session))
                    .route("/allow", web::post().to(fake_allow))
                    .route("/oauth/token", web::post().to(fake_token))
            })
            .workers(1)
            .listen(listener)
            .unwrap()
            .run()
            .await
            .unwrap();
        });
    });
    url
}
