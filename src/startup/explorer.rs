//! The API explorer at `GET /docs`: Swagger UI pointed at `/openapi.json`,
//! served by every instance like the document itself.
//!
//! Swagger UI is the npm package `swagger-ui-dist` (Apache-2.0), vendored in
//! `assets/swagger-ui/` by `scripts/vendor-swagger-ui.sh`: its one-file
//! bundle and its stylesheet, gzipped, compiled into the binary (about
//! 480 KB). Nothing is downloaded at build or run time. Browsers get the
//! gzipped bytes as they are; a client that does not accept gzip gets them
//! inflated once.
//!
//! The page has its own CSP: scripts and styles from this origin only (the
//! start-up script is a file, not inline), requests ("Try it out") to this
//! origin only.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use std::io::Read;
use std::sync::OnceLock;

const BUNDLE_GZ: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js.gz");
const STYLE_GZ: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui.css.gz");
/// The vendored Swagger UI release, also the assets' cache-busting query.
const VERSION: &str = include_str!("../../assets/swagger-ui/VERSION");

/// What the explorer page may load and call.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                       img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
                       form-action 'none'; frame-ancestors 'none'";

/// The page, its start-up script and the two vendored files. Relative links,
/// so the explorer also works behind a proxy that serves mocklink under a
/// path prefix.
fn page_html() -> String {
    let v = VERSION.trim();
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>API explorer · mocklink</title>\n\
         <link rel=\"stylesheet\" href=\"docs/swagger-ui.css?v={v}\">\n</head>\n<body>\n\
         <main id=\"swagger-ui\"><noscript><p>The API explorer needs JavaScript. \
         The OpenAPI document it shows is <a href=\"openapi.json\">/openapi.json</a>.\
         </p></noscript></main>\n\
         <script src=\"docs/swagger-ui-bundle.js?v={v}\"></script>\n\
         <script src=\"docs/explorer.js?v={v}\"></script>\n</body>\n</html>\n"
    )
}

/// Starts Swagger UI on this instance's document. No validator badge (it
/// would call swagger.io), links to operations in the URL's fragment.
const START_JS: &str = r##"window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
});
"##;

/// `GET /docs`
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(page_html())
}

/// `GET /docs/explorer.js`
pub async fn start_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(START_JS)
}

/// `GET /docs/swagger-ui-bundle.js`
pub async fn bundle(req: HttpRequest) -> HttpResponse {
    static PLAIN: OnceLock<Vec<u8>> = OnceLock::new();
    vendored(&req, "text/javascript; charset=utf-8", BUNDLE_GZ, &PLAIN)
}

/// `GET /docs/swagger-ui.css`
pub async fn style(req: HttpRequest) -> HttpResponse {
    static PLAIN: OnceLock<Vec<u8>> = OnceLock::new();
    vendored(&req, "text/css; charset=utf-8", STYLE_GZ, &PLAIN)
}

/// A vendored file: gzipped if the client takes gzip, else inflated (once).
/// The page asks for it with the version in the query, so it may be cached.
fn vendored(
    req: &HttpRequest,
    content_type: &str,
    gz: &'static [u8],
    plain: &'static OnceLock<Vec<u8>>,
) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::VARY, "Accept-Encoding"));
    if accepts_gzip(req.headers().get(header::ACCEPT_ENCODING)) {
        res.insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(gz)
    } else {
        res.body(plain.get_or_init(|| inflate(gz)).as_slice())
    }
}

fn inflate(gz: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut out)
        .expect("the vendored Swagger UI files are valid gzip");
    out
}

/// True if `Accept-Encoding` names `gzip` (or `*`) without `q=0`.
fn accepts_gzip(value: Option<&HeaderValue>) -> bool {
    let Some(value) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or("");
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_sent_only_to_clients_that_take_it() {
        let v = |s: &'static str| Some(HeaderValue::from_static(s));
        assert!(accepts_gzip(v("gzip, deflate, br").as_ref()));
        assert!(accepts_gzip(v("br;q=1.0, GZIP;q=0.5").as_ref()));
        assert!(accepts_gzip(v("*").as_ref()));
        assert!(!accepts_gzip(v("gzip;q=0").as_ref()));
        assert!(!accepts_gzip(v("br, identity").as_ref()));
        assert!(!accepts_gzip(None));
    }

    #[test]
    fn the_vendored_files_inflate_to_swagger_ui() {
        let js = inflate(BUNDLE_GZ);
        assert!(js.len() > 1_000_000);
        assert!(String::from_utf8_lossy(&js[..]).contains("SwaggerUIBundle"));
        let css = String::from_utf8(inflate(STYLE_GZ)).unwrap();
        assert!(css.contains(".swagger-ui") && !css.contains("sourceMappingURL"));
    }
}
