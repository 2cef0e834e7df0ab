# The primary analysis of DEXAML-03 in R, on the exported ADTTE CSV: the reference the project's
# estimates are compared with (tests/analysis/test_against_r.py). It writes the same
# tidy rows as estimates.csv: endpoint, analysis, group, estimate, lower, upper, statistic, df, p.
#
# Rscript primary_analysis.R adtte.csv out.csv STRREG,STRDIS STRREG,STRDIS,AGEGR1,...
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], na.strings = "", stringsAsFactors = FALSE)
strata_cols <- strsplit(args[3], ",")[[1]]
subgroup_cols <- strsplit(args[4], ",")[[1]]
months <- c(12, 24)
days <- months * 365.25 / 12

d$ARM <- factor(d$ARMCD, levels = c("CTRL", "DEX"))
d$E <- as.integer(d$CNSR == 0)
rows <- list()
add <- function(endpoint, analysis, group, estimate = NA, lower = NA, upper = NA,
                statistic = NA, df = NA, p = NA) {
  rows[[length(rows) + 1]] <<- data.frame(endpoint, analysis, group, estimate, lower, upper,
                                          statistic, df, p)
}
stratified <- function(rhs) {
  as.formula(paste("Surv(AVAL, E) ~", rhs, "+ strata(", paste(strata_cols, collapse = ", "), ")"))
}

kaplan_meier <- function(ep, e) {
  for (ct in c("log-log", "log")) {
    suffix <- if (ct == "log") "_ci_log" else ""
    fit <- survfit(Surv(AVAL, E) ~ ARMCD, data = e, conf.type = ct)
    tab <- summary(fit)$table
    for (arm in c("DEX", "CTRL")) {
      row <- tab[paste0("ARMCD=", arm), ]
      add(ep, paste0("km_median", suffix), arm, row[["median"]], row[["0.95LCL"]],
          row[["0.95UCL"]])
    }
    # summary(times =) drops the times after an arm's last follow-up (and stops when an arm
    # has none left): ask arm by arm.
    for (arm in c("DEX", "CTRL")) {
      last <- max(e$AVAL[e$ARMCD == arm])
      if (!any(days <= last)) next
      s <- summary(fit[paste0("ARMCD=", arm)], times = days[days <= last])
      for (i in seq_along(s$time)) {
        m <- months[match(s$time[i], days)]
        add(ep, paste0("km_survival_", m, "m", suffix), arm, s$surv[i], s$lower[i], s$upper[i])
      }
    }
  }
}

logrank <- function(ep, e) {
  plain <- survdiff(Surv(AVAL, E) ~ ARM, data = e)
  add(ep, "logrank", "DEX vs CTRL", statistic = plain$chisq, df = 1,
      p = pchisq(plain$chisq, 1, lower.tail = FALSE))
  strat <- survdiff(stratified("ARM"), data = e)
  add(ep, "logrank_stratified", "DEX vs CTRL", statistic = strat$chisq, df = 1,
      p = pchisq(strat$chisq, 1, lower.tail = FALSE))
}

cox <- function(ep, e) {
  models <- list(cox_hr = Surv(AVAL, E) ~ ARM, cox_hr_stratified = stratified("ARM"))
  for (name in names(models)) {
    fit <- coxph(models[[name]], data = e, ties = "efron")
    ci <- summary(fit)$conf.int
    add(ep, name, "DEX vs CTRL", ci[1, "exp(coef)"], ci[1, "lower .95"], ci[1, "upper .95"],
        p = summary(fit)$coefficients[1, "Pr(>|z|)"])
    zph <- cox.zph(fit)$table
    add(ep, sub("cox_hr", "cox_zph", name), "DEX vs CTRL", statistic = zph["GLOBAL", "chisq"],
        df = zph["GLOBAL", "df"], p = zph["GLOBAL", "p"])
  }
}

events_in_both_arms <- function(s) {
  ev <- tapply(s$E, s$ARM, sum)
  all(!is.na(ev) & ev > 0)
}

# As the project: a hazard ratio beyond exp(±10) is a partial likelihood without a maximum
# (coxph warns "coefficient may be infinite"), reported as not estimable.
estimable_fit <- function(s) {
  if (!events_in_both_arms(s)) return(NULL)
  fit <- suppressWarnings(coxph(Surv(AVAL, E) ~ ARM, data = s, ties = "efron"))
  if (abs(coef(fit)[1]) > 10) NULL else fit
}

subgroups <- function(ep, e) {
  for (v in subgroup_cols) {
    values <- setdiff(sort(unique(na.omit(e[[v]]))), c("Not known", "Not tested"))
    kept <- c()
    for (value in values) {
      fit <- estimable_fit(e[!is.na(e[[v]]) & e[[v]] == value, ])
      if (is.null(fit)) next
      kept <- c(kept, value)
      ci <- summary(fit)$conf.int
      add(ep, "subgroup_hr", paste0(v, "=", value), ci[1, "exp(coef)"], ci[1, "lower .95"],
          ci[1, "upper .95"], p = summary(fit)$coefficients[1, "Pr(>|z|)"])
    }
    if (length(kept) < 2) next
    k <- e[!is.na(e[[v]]) & e[[v]] %in% kept, ]
    k$V <- factor(k[[v]])
    test <- anova(coxph(Surv(AVAL, E) ~ ARM + V, data = k), coxph(Surv(AVAL, E) ~ ARM * V, data = k))
    add(ep, "subgroup_interaction", v, statistic = test$Chisq[2], df = test$Df[2],
        p = test[2, "Pr(>|Chi|)"])
  }
}

relapse <- function(r) {
  months <- c(6, 12, 24)
  days <- months * 365.25 / 12
  status <- ifelse(r$CNSR != 0, 0, ifelse(r$EVNTDESC == "Relapse", 1, 2))
  ci <- cuminc(r$AVAL, status, r$ARMCD)
  tp <- timepoints(ci, days)
  for (arm in c("DEX", "CTRL")) {
    for (cause in c(1, 2)) {
      for (j in seq_along(days)) {
        est <- tp$est[paste(arm, cause), j]
        se <- sqrt(tp$var[paste(arm, cause), j])
        shift <- qnorm(0.975) * se / (est * log(est))
        name <- paste0(if (cause == 1) "cir_" else "nrm_", months[j], "m")
        ok <- !is.na(est) && est > 0 && est < 1 && se > 0
        add("CIR", name, arm, est, if (ok) est^exp(-shift) else NA, if (ok) est^exp(shift) else NA)
      }
    }
  }
  add("CIR", "gray_test", "DEX vs CTRL", statistic = ci$Tests["1", "stat"], df = 1,
      p = ci$Tests["1", "pv"])
  strat <- cuminc(r$AVAL, status, r$ARMCD, strata = interaction(r[strata_cols], drop = TRUE))
  add("CIR", "gray_test_stratified", "DEX vs CTRL", statistic = strat$Tests["1", "stat"],
      df = 1, p = strat$Tests["1", "pv"])
}

for (ep in c("OS", "OSTC", "EFS")) {
  e <- d[d$PARAMCD == ep, ]
  kaplan_meier(ep, e)
  logrank(ep, e)
  cox(ep, e)
  if (ep != "OSTC") subgroups(ep, e)
}
relapse(d[d$PARAMCD == "RFS", ])
write.csv(do.call(rbind, rows), args[2], row.names = FALSE, na = "")
