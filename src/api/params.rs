//! Query-string and body parsing with Spotify's 400 messages, and paging.

use super::error::ApiError;
use actix_web::dev::Payload;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The query string, decoded once. Unknown parameters are ignored (clients
/// send `market`, `additional_types`, ...); known ones are parsed strictly.
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn of(req: &HttpRequest) -> Self {
        Self(
            form_urlencoded::parse(req.query_string().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `limit` in 1..=max (default `default`) and `offset` in 0..=max_offset.
    pub fn paging(&self, default: i64, max: i64, max_offset: i64) -> Result<Paging, ApiError> {
        let limit = match self.get("limit") {
            None => default,
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| ApiError::bad("Invalid limit"))?,
        };
        let offset = match self.get("offset") {
            None => 0,
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=max_offset).contains(n))
                .ok_or_else(|| ApiError::bad("Invalid offset"))?,
        };
        Ok(Paging { limit, offset })
    }

    /// A device id parameter, if given: 1–64 visible ASCII characters.
    pub fn device_id(&self) -> Result<Option<String>, ApiError> {
        match self.get("device_id") {
            None => Ok(None),
            Some(d)
                if !d.is_empty() && d.len() <= 64 && d.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                Ok(Some(d.to_owned()))
            }
            Some(_) => Err(ApiError::bad("Invalid device id")),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub limit: i64,
    pub offset: i64,
}

/// Spotify's paging object. `next`/`previous` are absolute URLs (spotipy
/// follows them as they are).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T: Serialize> {
    pub href: String,
    pub items: Vec<T>,
    pub limit: i64,
    pub next: Option<String>,
    pub offset: i64,
    pub previous: Option<String>,
    pub total: i64,
}

impl<T: Serialize> Page<T> {
    /// `base` is the absolute endpoint URL, `extra` any query pairs to keep.
    pub fn new(
        base: &str,
        extra: &[(&str, &str)],
        paging: Paging,
        total: i64,
        items: Vec<T>,
    ) -> Self {
        let link = |offset: i64| {
            let mut q = form_urlencoded::Serializer::new(String::new());
            for (k, v) in extra {
                q.append_pair(k, v);
            }
            q.append_pair("offset", &offset.to_string());
            q.append_pair("limit", &paging.limit.to_string());
            format!("{base}?{}", q.finish())
        };
        Self {
            href: link(paging.offset),
            next: (paging.offset + paging.limit < total)
                .then(|| link(paging.offset + paging.limit)),
            previous: (paging.offset > 0).then(|| link((paging.offset - paging.limit).max(0))),
            limit: paging.limit,
            offset: paging.offset,
            total,
            items,
        }
    }
}

/// Largest request body the api reads (100 playlist URIs fit easily).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The raw request body, read up to `MAX_BODY_BYTES`; larger bodies are a
/// 413 in Spotify's error shape rather than actix's plain-text one.
pub struct Body(pub Bytes);

impl FromRequest for Body {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(_: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let mut payload = payload.take();
        Box::pin(async move {
            let mut buf = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk =
                    chunk.map_err(|_| ApiError::bad("The request body could not be read"))?;
                if buf.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(ApiError::PayloadTooLarge);
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(Body(buf.freeze()))
        })
    }
}

/// A JSON body, or None when the body is empty (clients send both).
pub fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<Option<T>, ApiError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(None);
    }
    serde_json::from_slice(body)
        .map(Some)
        .map_err(|e| ApiError::bad(format!("Malformed json: {e}")))
}

/// A list body. Spotify documents `{"uris": [...]}` or `{"ids": [...]}`
/// and also takes the bare array, which spotipy (`playlist_add_items`) and
/// Spotify's TypeScript SDK (save/remove tracks) send.
#[derive(Debug)]
pub enum ListBody<T> {
    Bare(Vec<String>),
    Object(T),
}

/// A list body, or None when the body is empty.
pub fn list_body<T: DeserializeOwned>(body: &[u8]) -> Result<Option<ListBody<T>>, ApiError> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Ok(None),
        Some(b'[') => serde_json::from_slice::<Vec<String>>(body)
            .map(|v| Some(ListBody::Bare(v)))
            .map_err(|e| ApiError::bad(format!("Malformed json: {e}"))),
        Some(_) => Ok(json_body::<T>(body)?.map(ListBody::Object)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_link_forward_and_back_exactly() {
        let p: Page<u8> = Page::new(
            "http://h/v1/search",
            &[("query", "a b"), ("type", "track")],
            Paging {
                limit: 10,
                offset: 5,
            },
            20,
            vec![],
        );
        assert_eq!(
            p.href,
            "http://h/v1/search?query=a+b&type=track&offset=5&limit=10"
        );
        assert_eq!(
            p.next.as_deref(),
            Some("http://h/v1/search?query=a+b&type=track&offset=15&limit=10")
        );
        assert_eq!(
            p.previous.as_deref(),
            Some("http://h/v1/search?query=a+b&type=track&offset=0&limit=10")
        );
        let last: Page<u8> = Page::new(
            "http://h/x",
            &[],
            Paging {
                limit: 10,
                offset: 10,
            },
            20,
            vec![],
        );
        assert!(last.next.is_none());
    }

    #[test]
    fn list_bodies_are_bare_arrays_or_objects() {
        #[derive(Debug, serde::Deserialize)]
        struct Ids {
            ids: Vec<String>,
        }
        assert!(matches!(
            list_body::<Ids>(b" [\"a\",\"b\"]").unwrap(),
            Some(ListBody::Bare(v)) if v == ["a", "b"]
        ));
        assert!(matches!(
            list_body::<Ids>(b"{\"ids\":[\"a\"]}").unwrap(),
            Some(ListBody::Object(Ids { ids })) if ids == ["a"]
        ));
        assert!(list_body::<Ids>(b"  ").unwrap().is_none());
        assert!(list_body::<Ids>(b"[1, 2]").is_err());
        assert!(list_body::<Ids>(b"[\"a\"").is_err());
    }

    #[test]
    fn empty_bodies_are_none_and_bad_json_is_a_400() {
        assert!(json_body::<serde_json::Value>(b"").unwrap().is_none());
        assert!(json_body::<serde_json::Value>(b"{}").unwrap().is_some());
        assert!(json_body::<serde_json::Value>(b"{").is_err());
    }
}
