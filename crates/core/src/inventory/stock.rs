//! The shop's own stock export, read without options: Shopify's products export (both
//! header sets) and inventory export (per location), WooCommerce's products export, or
//! a plain `sku,on_hand[,cost,price,supplier,location]` file. The format is recognised
//! from the header; what it holds (on hand, unit cost, price, supplier, per-location
//! stock) is merged into the plan's parameters ([`merge`]) with a report of what
//! matched and what did not.
//!
//! We cannot connect to the shop (the data stays on the merchant's machine), so these
//! are the files the shop already exports.

use serde::{Deserialize, Serialize};

use super::InventoryError;
use super::params::SkuParams;
use super::table;

/// Which export a stock file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StockFormat {
    /// Shopify products export, legacy headers (`Handle`, `Variant SKU`, `Variant
    /// Inventory Qty`, `Variant Price`, `Cost per item`, `Vendor`).
    ShopifyProductsLegacy,
    /// Shopify products export, current headers (`URL handle`, `SKU`, `Price`,
    /// `Inventory quantity`, `Cost per item`, `Vendor`).
    ShopifyProducts,
    /// Shopify inventory export: one row per variant and location (`Location`,
    /// `Incoming`, `Unavailable`, `Committed`, `Available`, `On hand`).
    ShopifyInventory,
    /// WooCommerce products export (`ID`, `Type`, `SKU`, `Stock`, `Regular price`,
    /// `Sale price`, `Parent`; variations as their own rows).
    WooCommerce,
    /// `sku,on_hand[,cost,price,supplier,location]`.
    Plain,
}

impl StockFormat {
    /// The format in words.
    pub fn name(self) -> &'static str {
        match self {
            StockFormat::ShopifyProductsLegacy => "Shopify products export (legacy headers)",
            StockFormat::ShopifyProducts => "Shopify products export",
            StockFormat::ShopifyInventory => "Shopify inventory export",
            StockFormat::WooCommerce => "WooCommerce products export",
            StockFormat::Plain => "stock file (sku, on_hand)",
        }
    }
}

/// One SKU's stock as the file gives it (summed over its rows and locations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockRow {
    /// The SKU as written.
    pub sku: String,
    /// The first line it is on.
    pub line: u64,
    /// Units on hand (usable: Shopify's `Available`), negative stock counted as 0;
    /// `None` when the file does not track it.
    pub on_hand: Option<f64>,
    /// What one unit costs to buy.
    pub cost: Option<f64>,
    /// What one unit sells for (WooCommerce: the sale price when there is one).
    pub price: Option<f64>,
    /// The supplier (Shopify's vendor).
    pub supplier: Option<String>,
}

/// A stock file, read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockFile {
    /// The file's name.
    pub file: String,
    /// What it is.
    pub format: StockFormat,
    /// Per SKU, in the file's order.
    pub rows: Vec<StockRow>,
    /// (SKU, location, units on hand) where the file names locations, for rebalancing
    /// between them.
    pub locations: Vec<(String, String, f64)>,
    /// Rows without a SKU (products without one, WooCommerce parents).
    pub without_sku: usize,
    /// SKUs whose stock (summed over their locations) was negative (oversold),
    /// counted as 0.
    pub negative: Vec<String>,
    /// Units the file lists as incoming (Shopify), not counted as on order: the file
    /// gives no arrival dates.
    pub incoming: f64,
}

/// The columns a format reads, by role.
struct Columns {
    sku: usize,
    on_hand: Option<usize>,
    cost: Option<usize>,
    price: Option<usize>,
    sale_price: Option<usize>,
    supplier: Option<usize>,
    location: Option<usize>,
    incoming: Option<usize>,
    /// Shopify's product handle: product-level fields are on a product's first row.
    handle: Option<usize>,
}

const PLAIN: [&str; 7] = [
    "sku",
    "on hand",
    "cost",
    "unit cost",
    "price",
    "supplier",
    "location",
];

/// Recognises the format from the header row ([`table::key`]s).
fn detect(headers: &[String]) -> Option<(StockFormat, Columns)> {
    let at = |name: &str| headers.iter().position(|h| h == name);
    let has = |name: &str| at(name).is_some();
    let cols = |sku, on_hand| Columns {
        sku,
        on_hand,
        cost: at("cost per item")
            .or_else(|| at("cost"))
            .or_else(|| at("unit cost")),
        price: None,
        sale_price: None,
        supplier: at("vendor").or_else(|| at("supplier")),
        location: at("location"),
        incoming: None,
        handle: at("handle").or_else(|| at("url handle")),
    };
    if let (Some(sku), true, true) = (at("sku"), has("location"), has("available")) {
        let mut c = cols(sku, at("available"));
        c.incoming = at("incoming");
        return Some((StockFormat::ShopifyInventory, c));
    }
    if let (true, Some(sku)) = (has("handle"), at("variant sku")) {
        let mut c = cols(sku, at("variant inventory qty"));
        c.price = at("variant price");
        return Some((StockFormat::ShopifyProductsLegacy, c));
    }
    if let (true, Some(sku)) = (has("url handle"), at("sku")) {
        let mut c = cols(sku, at("inventory quantity"));
        c.price = at("price");
        return Some((StockFormat::ShopifyProducts, c));
    }
    if let (Some(sku), true, true) = (at("sku"), has("stock"), has("regular price")) {
        let mut c = cols(sku, at("stock"));
        c.price = at("regular price");
        c.sale_price = at("sale price");
        c.handle = None;
        return Some((StockFormat::WooCommerce, c));
    }
    if let (Some(sku), Some(on_hand)) = (at("sku"), at("on hand"))
        && headers
            .iter()
            .all(|h| h.is_empty() || PLAIN.contains(&h.as_str()))
    {
        let mut c = cols(sku, Some(on_hand));
        c.price = at("price");
        return Some((StockFormat::Plain, c));
    }
    None
}

/// The per-location stock of an export that names locations (Shopify's inventory
/// export), as the logistics files write it: `location,sku,on_hand`, a SKU's rows at
/// one location summed, oversold stock counted as 0. `None` for a file without
/// locations.
pub fn location_csv(stock: &StockFile) -> Option<String> {
    if stock.locations.is_empty() {
        return None;
    }
    let mut at: Vec<((String, String), f64)> = Vec::new();
    let mut index: std::collections::HashMap<(String, String), usize> = Default::default();
    for (sku, loc, q) in &stock.locations {
        let key = (loc.clone(), sku.clone());
        let k = *index.entry(key.clone()).or_insert_with(|| {
            at.push((key, 0.0));
            at.len() - 1
        });
        at[k].1 += q;
    }
    let mut out = String::from("location,sku,on_hand\n");
    for ((loc, sku), q) in at {
        out.push_str(&format!(
            "{},{},{}\n",
            crate::data::csv_field(&loc),
            crate::data::csv_field(&sku),
            q.max(0.0)
        ));
    }
    Some(out)
}

/// The stock export `bytes` is, from its header (`None`: not one).
pub fn format_of(bytes: &[u8]) -> Option<StockFormat> {
    detect(&table::header_keys(&table::text_of(bytes))).map(|(f, _)| f)
}

/// Whether `bytes` is a stock export this module reads (rather than our parameters
/// file, which [`super::params::merge_csv`] reads).
pub fn is_stock_file(bytes: &[u8]) -> bool {
    detect(&table::header_keys(&table::text_of(bytes))).is_some()
}

/// Reads a stock export. A file of no known format, or with values that are not
/// numbers, is refused with every problem listed by line and column.
pub fn read(file: &str, bytes: &[u8]) -> Result<StockFile, InventoryError> {
    let fail = |problems: Vec<String>| InventoryError::ParamsFile {
        file: file.to_string(),
        problems,
    };
    let text = table::text_of(bytes);
    let mut rdr = table::reader(&text);
    let raw: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) => return Err(fail(vec![format!("line 1: {e}")])),
    };
    let headers: Vec<String> = raw.iter().map(|h| table::key(h)).collect();
    let Some((format, c)) = detect(&headers) else {
        return Err(fail(vec![format!(
            "line 1: not a stock export we know (Shopify products or inventory, WooCommerce products, or sku,on_hand[,cost,price,supplier,location]); the columns are {raw:?}"
        )]));
    };
    let mut out = StockFile {
        file: file.to_string(),
        format,
        rows: Vec::new(),
        locations: Vec::new(),
        without_sku: 0,
        negative: Vec::new(),
        incoming: 0.0,
    };
    let mut problems = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = Default::default();
    // Shopify writes product-level fields (the vendor) on a product's first row only.
    let (mut handle, mut vendor) = (String::new(), None::<String>);
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        let cell = |i: Option<usize>| {
            i.and_then(|i| rec.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let mut number = |i: Option<usize>| -> Option<f64> {
            let s = cell(i)?;
            let v = super::params::parse_num(s);
            if v.is_none() {
                problems.push(format!(
                    "line {line}, column {}: \"{s}\" is not a number",
                    i.and_then(|i| raw.get(i)).map_or("?", |h| h.as_str())
                ));
            }
            v
        };
        if let Some(h) = cell(c.handle)
            && h != handle
        {
            handle = h.to_string();
            vendor = None;
        }
        if let Some(v) = cell(c.supplier) {
            vendor = Some(v.to_string());
        }
        // Shopify writes "not stocked" for a variant a location does not carry.
        let on_hand = if cell(c.on_hand).is_some_and(|s| s.eq_ignore_ascii_case("not stocked")) {
            None
        } else {
            number(c.on_hand)
        };
        let cost = number(c.cost);
        let price = number(c.sale_price).or(number(c.price));
        let incoming = number(c.incoming);
        let Some(sku) = cell(Some(c.sku)) else {
            out.without_sku += 1;
            continue;
        };
        out.incoming += incoming.unwrap_or(0.0).max(0.0);
        let supplier = if c.handle.is_some() {
            vendor.clone()
        } else {
            cell(c.supplier).map(str::to_string)
        };
        if let (Some(loc), Some(q)) = (cell(c.location), on_hand) {
            out.locations
                .push((sku.to_string(), loc.to_string(), q.max(0.0)));
        }
        let k = *index.entry(sku.to_string()).or_insert_with(|| {
            out.rows.push(StockRow {
                sku: sku.to_string(),
                line,
                on_hand: None,
                cost: None,
                price: None,
                supplier: None,
            });
            out.rows.len() - 1
        });
        let row = &mut out.rows[k];
        if let Some(q) = on_hand {
            // Rows of one SKU (its locations) add up, oversold ones included; the
            // total is clamped at zero below.
            row.on_hand = Some(row.on_hand.unwrap_or(0.0) + q);
        }
        row.cost = cost.or(row.cost);
        row.price = price.or(row.price);
        row.supplier = supplier.or(row.supplier.take());
    }
    for row in &mut out.rows {
        if row.on_hand.is_some_and(|q| q < 0.0) {
            out.negative.push(row.sku.clone());
            row.on_hand = Some(0.0);
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(fail(problems))
    }
}

/// What merging a stock file did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockReport {
    /// The file's name.
    pub file: String,
    /// Its format.
    pub format: StockFormat,
    /// SKUs of the plan found in the file.
    pub matched: usize,
    /// SKUs in the file with no sales in the data (not planned).
    pub not_sold: Vec<String>,
    /// SKUs of the plan the file does not list (their stock is left as it was).
    pub missing: Vec<String>,
    /// Rows without a SKU.
    pub without_sku: usize,
    /// SKUs with negative stock, counted as 0.
    pub negative: Vec<String>,
    /// Units incoming that were not counted (no arrival dates).
    pub incoming: f64,
    /// Locations named.
    pub locations: usize,
}

impl StockReport {
    /// The report in a sentence or two, with examples of what did not match.
    pub fn summary(&self) -> String {
        let few = |v: &[String]| {
            let shown: Vec<&str> = v.iter().take(5).map(String::as_str).collect();
            if v.len() > 5 {
                format!("{}, …", shown.join(", "))
            } else {
                shown.join(", ")
            }
        };
        let mut s = format!(
            "{} ({}): stock of {} SKUs matched",
            self.file,
            self.format.name(),
            self.matched
        );
        if self.locations > 1 {
            s += &format!(", summed over {} locations", self.locations);
        }
        if !self.missing.is_empty() {
            s += &format!(
                "; {} sold SKUs are not in the file and keep their stock as it was ({})",
                self.missing.len(),
                few(&self.missing)
            );
        }
        if !self.not_sold.is_empty() {
            s += &format!(
                "; {} SKUs in the file have no sales in the data ({})",
                self.not_sold.len(),
                few(&self.not_sold)
            );
        }
        if self.without_sku > 0 {
            s += &format!("; {} rows without a SKU were skipped", self.without_sku);
        }
        if !self.negative.is_empty() {
            s += &format!(
                "; {} SKUs had negative stock (oversold), counted as 0 ({})",
                self.negative.len(),
                few(&self.negative)
            );
        }
        if self.incoming > 0.0 {
            s += &format!(
                "; {} units incoming are not counted as on order (the file has no arrival dates: give the purchase orders)",
                crate::format::units(self.incoming)
            );
        }
        s + "."
    }
}

/// `current` with the file's stock, costs, prices and suppliers merged in (SKUs
/// matched exactly, else ignoring case). Values outside the parameters' plausible
/// ranges refuse the whole merge, every problem listed, and `current` is left as it
/// was.
pub fn merge(
    stock: &StockFile,
    current: &[SkuParams],
) -> Result<(Vec<SkuParams>, StockReport), InventoryError> {
    let mut exact: std::collections::HashMap<&str, usize> = Default::default();
    let mut upper: std::collections::HashMap<String, usize> = Default::default();
    for (i, r) in stock.rows.iter().enumerate() {
        exact.entry(r.sku.as_str()).or_insert(i);
        upper.entry(r.sku.to_uppercase()).or_insert(i);
    }
    let mut out = current.to_vec();
    let mut used = vec![false; stock.rows.len()];
    let (mut matched, mut missing, mut problems) = (0, Vec::new(), Vec::new());
    for p in &mut out {
        let Some(&i) = exact
            .get(p.sku.as_str())
            .or_else(|| upper.get(&p.sku.to_uppercase()))
        else {
            missing.push(p.sku.clone());
            continue;
        };
        used[i] = true;
        matched += 1;
        let r = &stock.rows[i];
        if let Some(q) = r.on_hand {
            p.on_hand = q;
        }
        if let Some(c) = r.cost {
            p.unit_cost = c;
        }
        if let Some(v) = r.price {
            p.price = v;
        }
        if let Some(s) = &r.supplier {
            p.supplier = s.clone();
        }
        if let Err(errs) = p.validate() {
            problems.extend(errs.into_iter().map(|e| format!("line {}: {e}", r.line)));
        }
    }
    if !problems.is_empty() {
        return Err(InventoryError::ParamsFile {
            file: stock.file.clone(),
            problems,
        });
    }
    let mut places: Vec<&str> = stock.locations.iter().map(|l| l.1.as_str()).collect();
    places.sort_unstable();
    places.dedup();
    let report = StockReport {
        file: stock.file.clone(),
        format: stock.format,
        matched,
        not_sold: stock
            .rows
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(r, _)| r.sku.clone())
            .collect(),
        missing,
        without_sku: stock.without_sku,
        negative: stock.negative.clone(),
        incoming: stock.incoming,
        locations: places.len(),
    };
    Ok((out, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<SkuParams> {
        ["A-1", "B-2", "C-3"]
            .iter()
            .map(|s| SkuParams::defaults(s, 10.0))
            .collect()
    }

    /// Shopify's legacy products export (header names as Shopify's help centre lists
    /// them): one row per variant, the vendor on the product's first row only.
    #[test]
    fn shopify_legacy_products_export() {
        let text = "Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,Variant SKU,Variant Grams,Variant Inventory Tracker,Variant Inventory Qty,Variant Inventory Policy,Variant Price,Variant Compare At Price,Cost per item,Status\n\
mug,Mug,<p>x</p>,Acme,Kitchen,,true,Colour,Red,A-1,300,shopify,12,deny,9.50,,4.10,active\n\
mug,,,,,,,,Blue,a-1-blue,300,shopify,-3,deny,9.50,,4.10,\n\
tee,Tee,,Textil AG,Shirts,,true,Size,M,B-2,200,shopify,40,deny,\"19,90\",,8,active\n\
gift-card,Gift card,,Acme,,,true,Title,Default,,0,,,deny,25,,,active\n";
        let f = read("products_export.csv", text.as_bytes()).unwrap();
        assert_eq!(f.format, StockFormat::ShopifyProductsLegacy);
        assert_eq!(f.rows.len(), 3);
        assert_eq!(f.without_sku, 1);
        assert_eq!(f.negative, vec!["a-1-blue".to_string()]);
        assert_eq!(
            f.rows[1].supplier.as_deref(),
            Some("Acme"),
            "vendor carried to the variant row"
        );
        let (p, r) = merge(&f, &base()).unwrap();
        assert_eq!((p[0].on_hand, p[0].unit_cost, p[0].price), (12.0, 4.1, 9.5));
        assert_eq!(p[0].supplier, "Acme");
        assert_eq!(
            (p[1].on_hand, p[1].price, p[1].supplier.as_str()),
            (40.0, 19.9, "Textil AG")
        );
        assert_eq!(p[2], base()[2], "not in the file: unchanged");
        assert_eq!(r.matched, 2);
        assert_eq!(r.missing, vec!["C-3".to_string()]);
        assert_eq!(r.not_sold, vec!["a-1-blue".to_string()]);
        let s = r.summary();
        assert!(s.contains("stock of 2 SKUs matched"), "{s}");
        assert!(
            s.contains("1 sold SKUs are not in the file and keep their stock as it was (C-3)"),
            "{s}"
        );
        assert!(s.contains("negative stock (oversold), counted as 0"), "{s}");
    }

    #[test]
    fn shopify_current_products_export() {
        let text = "URL handle,Title,Description,Vendor,Product category,Type,Tags,Published on online store,Status,SKU,Barcode,Option1 name,Option1 value,Price,Compare-at price,Cost per item,Charge tax,Inventory tracker,Inventory quantity,Continue selling when out of stock\n\
mug,Mug,,Acme,,Kitchen,,TRUE,Active,A-1,,Colour,Red,9.50,,4.10,TRUE,shopify,7,DENY\n\
mug,,,,,,,,,b-2,,,Blue,9.50,,4.10,TRUE,shopify,5,DENY\n";
        let f = read("products.csv", text.as_bytes()).unwrap();
        assert_eq!(f.format, StockFormat::ShopifyProducts);
        let (p, r) = merge(&f, &base()).unwrap();
        assert_eq!((p[0].on_hand, p[0].price, p[0].unit_cost), (7.0, 9.5, 4.1));
        assert_eq!(
            (p[1].on_hand, p[1].supplier.as_str()),
            (5.0, "Acme"),
            "matched ignoring case"
        );
        assert_eq!(r.matched, 2);
    }

    /// Shopify's inventory export: per location; the plan takes `Available` summed,
    /// each location's kept for rebalancing, and incoming units reported, not counted.
    #[test]
    fn shopify_inventory_export_per_location() {
        let text = "Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Option3 Name,Option3 Value,SKU,HS Code,COO,Location,Incoming,Unavailable,Committed,Available,On hand\n\
mug,Mug,Colour,Red,,,,,A-1,,,Berlin,10,1,2,5,8\n\
mug,Mug,Colour,Red,,,,,A-1,,,Hamburg,0,0,0,3,3\n\
tee,Tee,Size,M,,,,,B-2,,,Berlin,0,0,0,not tracked,0\n\
tee,Tee,Size,M,,,,,B-2,,,Hamburg,0,0,0,not stocked,0\n\
cap,Cap,Size,M,,,,,C-3,,,Berlin,0,0,0,-3,0\n\
cap,Cap,Size,M,,,,,C-3,,,Hamburg,0,0,0,5,5\n";
        let Err(InventoryError::ParamsFile { problems, .. }) =
            read("inventory.csv", text.as_bytes())
        else {
            panic!("a bad number is refused");
        };
        assert_eq!(
            problems,
            vec!["line 4, column Available: \"not tracked\" is not a number".to_string()]
        );
        let text = text.replace("not tracked", "4");
        let f = read("inventory.csv", text.as_bytes()).unwrap();
        assert_eq!(f.format, StockFormat::ShopifyInventory);
        assert_eq!(
            f.locations.len(),
            5,
            "not stocked at Hamburg: no location row"
        );
        let (p, r) = merge(&f, &base()).unwrap();
        assert_eq!((p[0].on_hand, p[1].on_hand), (8.0, 4.0));
        assert_eq!(
            p[2].on_hand, 2.0,
            "oversold in Berlin, 5 in Hamburg: 2 in all"
        );
        assert!(f.negative.is_empty());
        assert_eq!((r.locations, r.incoming), (2, 10.0));
        assert!(
            r.summary().contains("summed over 2 locations"),
            "{}",
            r.summary()
        );
        assert!(
            r.summary().contains("10 units incoming are not counted"),
            "{}",
            r.summary()
        );
    }

    #[test]
    fn woocommerce_products_export_with_variations() {
        let text = "ID,Type,SKU,Name,Published,Is featured?,In stock?,Stock,Sale price,Regular price,Parent\n\
10,variable,,Tee,1,0,1,,,,\n\
11,variation,B-2,Tee - M,1,0,1,6,15,19.90,id:10\n\
12,simple,C-3,Cap,1,0,1,2,,12,\n";
        let f = read("wc-product-export.csv", text.as_bytes()).unwrap();
        assert_eq!(f.format, StockFormat::WooCommerce);
        assert_eq!(f.without_sku, 1);
        let (p, _) = merge(&f, &base()).unwrap();
        assert_eq!(
            (p[1].on_hand, p[1].price),
            (6.0, 15.0),
            "the sale price when there is one"
        );
        assert_eq!((p[2].on_hand, p[2].price), (2.0, 12.0));
    }

    #[test]
    fn a_shopify_inventory_export_gives_the_stock_per_location() {
        let text = "Handle,Title,Option1 Name,Option1 Value,SKU,HS Code,COO,Location,Incoming,Unavailable,Committed,Available,On hand\n\
mug,Mug,Colour,Red,A-1,,,Main warehouse,0,0,1,5,6\n\
mug,Mug,Colour,Red,A-1,,,\"Shop, High St\",0,0,0,2,2\n\
mug,Mug,Colour,Blue,B-2,,,Main warehouse,0,0,0,-1,0\n\
mug,Mug,Colour,Blue,B-2,,,\"Shop, High St\",0,0,0,not stocked,not stocked\n";
        let f = read("inventory_export.csv", text.as_bytes()).unwrap();
        assert_eq!(f.format, StockFormat::ShopifyInventory);
        assert_eq!(
            format_of(text.as_bytes()),
            Some(StockFormat::ShopifyInventory)
        );
        assert_eq!(
            location_csv(&f).unwrap(),
            "location,sku,on_hand\nMain warehouse,A-1,5\n\"Shop, High St\",A-1,2\nMain warehouse,B-2,0\n"
        );
        let plain = read("s.csv", b"sku,on_hand\nA-1,3\n").unwrap();
        assert_eq!(location_csv(&plain), None);
    }

    #[test]
    fn plain_stock_file_and_implausible_values() {
        let text =
            "sku;on_hand;cost;supplier;location\nA-1;3;2,5;Acme;Main\nA-1;2;;;Back\nZ-9;1;;;Main\n";
        let f = read("stock.csv", text.as_bytes()).unwrap();
        assert_eq!(f.format, StockFormat::Plain);
        let (p, r) = merge(&f, &base()).unwrap();
        assert_eq!(
            (p[0].on_hand, p[0].unit_cost, p[0].supplier.as_str()),
            (5.0, 2.5, "Acme")
        );
        assert_eq!(r.not_sold, vec!["Z-9".to_string()]);
        // Digit groups as an English-locale export writes them: 1,234 units, not 1.234.
        let grouped = read(
            "stock.csv",
            b"sku,on_hand,cost,price\nA-1,\"1,234\",\"1,050.00\",\"1,299.50\"\n",
        )
        .unwrap();
        let (p, _) = merge(&grouped, &base()).unwrap();
        assert_eq!(
            (p[0].on_hand, p[0].unit_cost, p[0].price),
            (1234.0, 1050.0, 1299.5)
        );
        // Our parameters file is not a stock file (it has planning columns).
        assert!(!is_stock_file(b"sku,on_hand,lead_time_days\nA-1,1,3\n"));
        assert!(is_stock_file(text.as_bytes()));
        let huge = read("s.csv", b"sku,on_hand\nA-1,5e12\n").unwrap();
        let Err(InventoryError::ParamsFile { problems, .. }) = merge(&huge, &base()) else {
            panic!("refused");
        };
        assert_eq!(
            problems,
            vec![
                "line 2: on_hand: 5000000000000 is more than 1000000000 units: check the value"
                    .to_string()
            ]
        );
        let unknown = read("x.csv", b"foo,bar\n1,2\n").unwrap_err().to_string();
        assert!(unknown.contains("not a stock export we know"), "{unknown}");
    }
}
