# A real client of the exported files: R's haven reads the SAS transport, Stata and SPSS files
# and writes what it finds (values, variable labels, value labels) as CSV for the test to compare
# with the export's own CSV (tests/analysis/test_against_r.py).
#
# Rscript read_exports.R export_dir out_dir adtte,adsurv
suppressPackageStartupMessages(library(haven))
args <- commandArgs(trailingOnly = TRUE)
readers <- list(xpt = read_xpt, dta = read_dta, sav = read_sav)
for (name in strsplit(args[3], ",")[[1]]) {
  for (fmt in names(readers)) {
    d <- readers[[fmt]](file.path(args[1], paste0(name, ".", fmt)))
    label <- sapply(d, function(x) if (is.null(attr(x, "label"))) "" else attr(x, "label"))
    values <- sapply(d, function(x) {
      l <- attr(x, "labels")
      if (is.null(l)) "" else paste(paste0(unname(l), "=", names(l)), collapse = ";")
    })
    write.csv(data.frame(variable = names(d), label = label, values = values),
              file.path(args[2], paste0(name, ".", fmt, ".labels.csv")), row.names = FALSE)
    plain <- lapply(zap_labels(d), function(x) {
      if (inherits(x, "Date")) format(x, "%Y-%m-%d") else x
    })
    write.csv(as.data.frame(plain, stringsAsFactors = FALSE),
              file.path(args[2], paste0(name, ".", fmt, ".values.csv")), row.names = FALSE, na = "")
  }
}
