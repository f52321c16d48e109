//! Word search over the catalog and the libraries: every word must appear
//! (lowercase `LIKE`), counted and paged in the database.

use super::catalog::{
    album_from_row, artist_from_row, track_from_row, AlbumRecord, ArtistRecord, Slice, TrackRecord,
    ALBUM_SELECT, ARTIST_SELECT, TRACK_SELECT,
};
use super::{Store, StoreError};
use sqlx::any::AnyRow;

impl Store {
    /// Tracks whose name, album or artist contains every word (lowercase).
    pub async fn search_tracks(
        &self,
        words: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<Slice<TrackRecord>, StoreError> {
        let search = WordSearch {
            select: TRACK_SELECT,
            from: "tracks t",
            condition: "1 = 1",
            text_column: "t.search_text",
            order: "t.popularity DESC, t.id",
        };
        self.word_search(&search, words, limit, offset, track_from_row)
            .await
    }

    pub async fn search_albums(
        &self,
        words: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<Slice<AlbumRecord>, StoreError> {
        let search = WordSearch {
            select: ALBUM_SELECT,
            from: "albums a",
            condition: "1 = 1",
            text_column: "a.search_text",
            order: "a.popularity DESC, a.id",
        };
        self.word_search(&search, words, limit, offset, album_from_row)
            .await
    }

    pub async fn search_artists(
        &self,
        words: &[String],
        limit: i64,
        offset: i64,
    ) -> Result<Slice<ArtistRecord>, StoreError> {
        let search = WordSearch {
            select: ARTIST_SELECT,
            from: "artists",
            condition: "1 = 1",
            text_column: "search_text",
            order: "popularity DESC, id",
        };
        self.word_search(&search, words, limit, offset, artist_from_row)
            .await
    }
}

/// `AND search_text LIKE $k ESCAPE '\'` per word, and the LIKE patterns.
pub(crate) fn word_filter(column: &str, words: &[String], first: usize) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut patterns = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let escaped = w
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        sql.push_str(&format!(" AND {column} LIKE ${} ESCAPE '\\'", first + i));
        patterns.push(format!("%{escaped}%"));
    }
    (sql, patterns)
}

/// A word search over one table: rows whose `text_column` contains every
/// word, `order`ed, one page of them and the total (the search endpoints).
pub(crate) struct WordSearch<'a> {
    /// `SELECT … FROM <table> <alias> …` without a WHERE clause.
    pub select: &'a str,
    /// The table (and alias) to count over.
    pub from: &'a str,
    /// A condition every row must meet besides the words (e.g. public only).
    pub condition: &'a str,
    pub text_column: &'a str,
    pub order: &'a str,
}

impl Store {
    pub(crate) async fn word_search<T>(
        &self,
        search: &WordSearch<'_>,
        words: &[String],
        limit: i64,
        offset: i64,
        from_row: fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Slice<T>, StoreError> {
        let WordSearch {
            select,
            from,
            condition,
            text_column,
            order,
        } = search;
        let (filter, patterns) = word_filter(text_column, words, 1);
        let page = Page {
            select,
            from,
            filter: &format!("WHERE {condition}{filter}"),
            order,
        };
        self.paged(&page, &patterns, limit, offset, from_row).await
    }

    /// One page of `select filter ORDER BY order` and how many rows match in
    /// all; `binds` are `$1…$n` of `filter`.
    pub(crate) async fn paged<T>(
        &self,
        page: &Page<'_>,
        binds: &[String],
        limit: i64,
        offset: i64,
        from_row: fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Slice<T>, StoreError> {
        let Page {
            select,
            from,
            filter,
            order,
        } = page;
        let total = count(
            self,
            &format!("SELECT COUNT(*) FROM {from} {filter}"),
            binds,
        )
        .await?;
        let n = binds.len();
        let sql = format!(
            "{select} {filter} ORDER BY {order} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        let items = q
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(from_row)
            .collect::<Result<_, _>>()?;
        Ok(Slice { items, total })
    }
}

/// A paged query: `SELECT … FROM t a` (no WHERE), the table to count over,
/// the `WHERE …` clause and the order.
pub(crate) struct Page<'a> {
    pub select: &'a str,
    pub from: &'a str,
    pub filter: &'a str,
    pub order: &'a str,
}

pub(crate) async fn count(store: &Store, sql: &str, binds: &[String]) -> Result<i64, StoreError> {
    let mut q = sqlx::query_scalar::<_, i64>(sql);
    for b in binds {
        q = q.bind(b);
    }
    Ok(q.fetch_one(&store.pool).await?)
}
