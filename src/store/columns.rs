//! A row's columns by name, read the same way from the pool's rows
//! (`AnyRow`) and from the PostgreSQL writer's own connection (`PgRow`), so
//! each table's columns are mapped once for both.

use sqlx::postgres::PgRow;
use sqlx::{any::AnyRow, Any, Decode, Postgres, Row, Type};

pub(super) trait ByName {
    fn col<T>(&self, name: &str) -> Result<T, sqlx::Error>
    where
        T: for<'r> Decode<'r, Any> + Type<Any> + for<'r> Decode<'r, Postgres> + Type<Postgres>;
}

impl ByName for AnyRow {
    fn col<T>(&self, name: &str) -> Result<T, sqlx::Error>
    where
        T: for<'r> Decode<'r, Any> + Type<Any> + for<'r> Decode<'r, Postgres> + Type<Postgres>,
    {
        self.try_get(name)
    }
}

impl ByName for PgRow {
    fn col<T>(&self, name: &str) -> Result<T, sqlx::Error>
    where
        T: for<'r> Decode<'r, Any> + Type<Any> + for<'r> Decode<'r, Postgres> + Type<Postgres>,
    {
        self.try_get(name)
    }
}
