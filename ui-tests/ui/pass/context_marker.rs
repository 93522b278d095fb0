//! The request context is found by its marker or by its real type, not by
//! its name: a renamed import or an alias is marked `#[rpc(context)]`, and a
//! type of the user's own named `Context`, taken by value, is an ordinary
//! parameter.

use rpc_core::Context as Ctx;

type Alias = rpc_core::Context;

mod app {
    #[derive(serde::Serialize, serde::Deserialize)]
    pub struct Context {
        pub locale: String,
    }
}

struct S;

#[rpc_core::rpc]
impl S {
    fn renamed(&self, #[rpc(context)] ctx: &Ctx, n: u8) -> bool {
        ctx.peer_addr().is_some() && n > 0
    }

    fn aliased<'a>(&self, n: u8, #[rpc(context)] ctx: &'a Alias) -> bool {
        ctx.peer_addr().is_some() && n > 0
    }

    fn qualified(&self, ctx: &rpc_core::Context) -> bool {
        ctx.peer_addr().is_some()
    }

    fn own(&self, context: app::Context) -> String {
        context.locale
    }
}

#[rpc_core::rpc]
trait Api {
    async fn marked(&self, #[rpc(context)] ctx: &Ctx) -> bool;
}

fn main() {
    let router = S.into_router();
    assert!(router.reads_context());
    let names = |index: usize| -> Vec<&str> {
        S::METHODS[index].params.iter().map(|param| param.name).collect()
    };
    assert_eq!(names(0), ["n"]);
    assert_eq!(names(1), ["n"]);
    assert!(names(2).is_empty());
    assert_eq!(names(3), ["context"]);
    assert!(ApiClient::METHODS[0].params.is_empty());
}
