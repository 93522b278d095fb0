//! `#[rpc]` inside a `macro_rules!` expansion (hygiene of generated locals).

macro_rules! service {
    ($name:ident, $method:ident) => {
        struct $name;

        #[rpc_core::rpc]
        impl $name {
            fn $method(&self, svc: u8, params: u8, ctx: u8, sink: u8, router: u8) -> u8 {
                svc + params + ctx + sink + router
            }
        }
    };
}

service!(Adder, add);

fn main() {
    let router = Adder.into_router();
    assert!(router.contains("add"));
    assert_eq!(Adder::METHODS[0].params.len(), 5);
}
