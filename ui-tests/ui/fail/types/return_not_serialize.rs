struct Opaque;

struct S;

#[rpc_core::rpc]
impl S {
    fn give(&self) -> Opaque {
        Opaque
    }
}

fn main() {}
