//! The loaded dataset (and the planning parameters) kept in IndexedDB, so that a
//! reload does not lose them.
//!
//! Written on web-sys directly: it is three small operations (open, put, get) on one
//! object store, and the IndexedDB crates would add more code than they save here.

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransactionMode};

const DB: &str = "supplycast";
const STORE: &str = "datasets";
const KEY: &str = "current";

/// Resolves when `req` succeeds (with its result) or rejects with its error.
fn done(req: &IdbRequest) -> JsFuture {
    let req = req.clone();
    let promise = Promise::new(&mut |resolve, reject| {
        let r2 = req.clone();
        let ok = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call1(&JsValue::NULL, &r2.result().unwrap_or(JsValue::UNDEFINED));
        });
        let r3 = req.clone();
        let fail = Closure::once_into_js(move |_: web_sys::Event| {
            let err = r3
                .error()
                .ok()
                .flatten()
                .map(JsValue::from)
                .unwrap_or_else(|| JsValue::from_str("IndexedDB request failed"));
            let _ = reject.call1(&JsValue::NULL, &err);
        });
        req.set_onsuccess(Some(ok.unchecked_ref()));
        req.set_onerror(Some(fail.unchecked_ref()));
    });
    JsFuture::from(promise)
}

async fn open() -> Result<IdbDatabase, JsValue> {
    let factory = web_sys::window()
        .ok_or("no window")?
        .indexed_db()?
        .ok_or("IndexedDB is not available")?;
    let req: IdbOpenDbRequest = factory.open_with_u32(DB, 1)?;
    let upgrade = Closure::once_into_js({
        let req = req.clone();
        move |_: web_sys::Event| {
            if let Ok(db) = req.result().and_then(|r| r.dyn_into::<IdbDatabase>())
                && !db.object_store_names().contains(STORE)
            {
                let _ = db.create_object_store(STORE);
            }
        }
    });
    req.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    let db = done(&req).await?;
    db.dyn_into::<IdbDatabase>()
}

/// Stores the encoded dataset, replacing the previous one.
pub async fn save(bytes: &[u8]) -> Result<(), JsValue> {
    save_key(KEY, bytes).await
}

/// The stored dataset's bytes, if any.
pub async fn load() -> Result<Option<Vec<u8>>, JsValue> {
    load_key(KEY).await
}

/// Stores bytes under `key` (e.g. the planning parameters), replacing what was there.
pub async fn save_key(key: &str, bytes: &[u8]) -> Result<(), JsValue> {
    let db = open().await?;
    let tx = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)?;
    let req = tx
        .object_store(STORE)?
        .put_with_key(&Uint8Array::from(bytes), &JsValue::from_str(key))?;
    done(&req).await?;
    db.close();
    Ok(())
}

/// The bytes stored under `key`, if any.
pub async fn load_key(key: &str) -> Result<Option<Vec<u8>>, JsValue> {
    let db = open().await?;
    let tx = db.transaction_with_str(STORE)?;
    let req = tx.object_store(STORE)?.get(&JsValue::from_str(key))?;
    let v = done(&req).await?;
    db.close();
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    Ok(Some(Uint8Array::new(&v).to_vec()))
}

/// Forgets the stored dataset.
pub async fn clear() -> Result<(), JsValue> {
    let db = open().await?;
    let tx = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)?;
    let req = tx.object_store(STORE)?.delete(&JsValue::from_str(KEY))?;
    done(&req).await?;
    db.close();
    Ok(())
}
