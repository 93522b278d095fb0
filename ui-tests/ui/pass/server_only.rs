//! A service that is only served: its parameter types are only
//! `Deserialize` and its result types only `Serialize`. The client the
//! attribute generates asks its bounds only where a method is called.

use rpc_core::{rpc, Error};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Query {
    text: String,
}

#[derive(Serialize)]
struct Hits {
    count: usize,
}

#[derive(Deserialize)]
struct Entry {
    line: String,
}

struct Search;

#[rpc]
impl Search {
    fn find(&self, query: Query, limit: Option<u32>) -> Hits {
        let _ = limit;
        Hits {
            count: query.text.len(),
        }
    }

    async fn find_all(&self, queries: Vec<Query>) -> Result<Vec<Hits>, Error> {
        Ok(queries
            .into_iter()
            .map(|query| Hits {
                count: query.text.len(),
            })
            .collect())
    }

    #[rpc(blocking)]
    fn count(&self, query: Query) -> Hits {
        Hits {
            count: query.text.len(),
        }
    }

    #[rpc(notification)]
    fn log(&self, entry: Entry) {
        let _ = entry.line;
    }
}

#[rpc]
trait Index {
    async fn lookup(&self, query: Query) -> Result<Hits, Error>;
}

struct Memory;

impl Index for Memory {
    async fn lookup(&self, query: Query) -> Result<Hits, Error> {
        Ok(Hits {
            count: query.text.len(),
        })
    }
}

fn main() {
    let router = Search.into_router();
    assert_eq!(router.method_names(), ["count", "find", "find_all", "log"]);
    let _ = Memory.into_router();
    // The clients exist; only calling a method would need the other half.
    let _: Option<SearchClient<rpc_core::client::InProcess>> = None;
    let _: Option<IndexClient<rpc_core::client::InProcess>> = None;
    assert_eq!(SearchClient::METHODS.len(), 4);
}
