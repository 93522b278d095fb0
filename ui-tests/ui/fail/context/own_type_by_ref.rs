mod app {
    #[derive(serde::Deserialize)]
    pub struct Context {
        pub locale: String,
    }
}

use app::Context;

struct S;

#[rpc_core::rpc]
impl S {
    fn greet(&self, ctx: &Context) -> String {
        ctx.locale.clone()
    }
}

fn main() {}
