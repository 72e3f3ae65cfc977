//! The back-office queues read a page at a time: one table's rows in one
//! state (oldest first, so what waits longest is seen first) or in all, and
//! how many there are. Written once so every queue pages the same way and
//! nothing needing action falls out of sight behind newer rows.

use sqlx::postgres::{PgPool, PgRow, Postgres};
use sqlx::{Encode, FromRow, Type};

use crate::store::StoreError;

/// A table's queue: the `ORDER BY` for one state and for all states.
pub(super) struct Listing {
    pub table: &'static str,
    pub in_state: &'static str,
    pub all: &'static str,
}

impl Listing {
    /// Rows `offset..offset + limit` of the state's queue (all rows without one).
    pub async fn page<R, S>(&self, pool: &PgPool, state: Option<S>, limit: i64, offset: i64) -> Result<Vec<R>, StoreError>
    where
        R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
        S: for<'q> Encode<'q, Postgres> + Type<Postgres> + Send,
    {
        let t = self.table;
        Ok(match state {
            Some(state) => {
                let sql = format!("SELECT * FROM {t} WHERE state = $1 ORDER BY {} LIMIT $2 OFFSET $3", self.in_state);
                sqlx::query_as(&sql).bind(state).bind(limit).bind(offset).fetch_all(pool).await?
            }
            None => {
                let sql = format!("SELECT * FROM {t} ORDER BY {} LIMIT $1 OFFSET $2", self.all);
                sqlx::query_as(&sql).bind(limit).bind(offset).fetch_all(pool).await?
            }
        })
    }

    /// How many rows the state's queue holds (all rows without one).
    pub async fn count<S>(&self, pool: &PgPool, state: Option<S>) -> Result<i64, StoreError>
    where
        S: for<'q> Encode<'q, Postgres> + Type<Postgres> + Send,
    {
        let t = self.table;
        Ok(match state {
            Some(state) => sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t} WHERE state = $1")).bind(state).fetch_one(pool).await?,
            None => sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t}")).fetch_one(pool).await?,
        })
    }
}
