// The solver benchmark's main instance on GLPK (glp_intopt), to compare with CBC
// (docs/solver.md). Same MILP as core/solve/milp.cpp: x[u][r] binaries, one rule per head,
// mean density <= budget at 2k/4k/8k, optional K rules per layer; gap 0.1%.
//   bench_solver_glpk [--k 2] [--time-limit 60]
#include <glpk.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/solver_instance.h"
#include "core/plan/loss_table.h"

using namespace moa;

int main(int argc, char** argv) {
  int K = 0;
  double time_limit = 60.0;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--k") K = std::stoi(argv[i + 1]);
    if (std::string(argv[i]) == "--time-limit") time_limit = std::stod(argv[i + 1]);
  }
  const std::vector<int64_t> lengths = {2048, 4096, 8192};
  const Profile p = bench::synthetic_profile(32, 32, 32, lengths, 1);
  const LossTable t = loss_table_build(p, default_rule_grid(lengths), Granularity::head);
  const int R = t.num_rules(), U = t.num_units, L = t.num_layers, units = L * U;
  const auto t0 = std::chrono::steady_clock::now();
  glp_prob* lp = glp_create_prob();
  glp_set_obj_dir(lp, GLP_MIN);
  const int nrows = units + 3 + (K > 0 ? units * R + L : 0);
  const int ncols = units * R + (K > 0 ? L * R : 0);
  glp_add_rows(lp, nrows);
  glp_add_cols(lp, ncols);
  for (int u = 0; u < units; ++u) glp_set_row_bnds(lp, u + 1, GLP_FX, 1.0, 1.0);
  for (int n = 0; n < 3; ++n) glp_set_row_bnds(lp, units + n + 1, GLP_UP, 0.0, 0.5 * units);
  const int k_row0 = units + 3;
  if (K > 0) {
    for (int i = 0; i < units * R; ++i) glp_set_row_bnds(lp, k_row0 + i + 1, GLP_UP, 0.0, 0.0);
    for (int l = 0; l < L; ++l) glp_set_row_bnds(lp, k_row0 + units * R + l + 1, GLP_UP, 0.0, K);
  }
  double scale = 0.0;
  for (double v : t.loss) scale = std::max(scale, 3 * v);
  std::vector<int> ia{0}, ja{0};
  std::vector<double> ar{0.0};
  auto put = [&](int row, int col, double v) {
    ia.push_back(row + 1);
    ja.push_back(col + 1);
    ar.push_back(v);
  };
  for (int u = 0; u < units; ++u)
    for (int r = 0; r < R; ++r) {
      const int col = u * R + r;
      glp_set_col_kind(lp, col + 1, GLP_BV);
      double c = 0.0;
      for (int n = 0; n < 3; ++n) c += t.loss_at(u / U, u % U, r, n);
      glp_set_obj_coef(lp, col + 1, c / scale);
      put(u, col, 1.0);
      for (int n = 0; n < 3; ++n) put(units + n, col, t.density_at(r, n));
      if (K > 0) put(k_row0 + col, col, 1.0);
    }
  for (int l = 0; K > 0 && l < L; ++l)
    for (int r = 0; r < R; ++r) {
      const int col = units * R + l * R + r;
      glp_set_col_kind(lp, col + 1, GLP_BV);
      for (int u = l * U; u < (l + 1) * U; ++u) put(k_row0 + u * R + r, col, -1.0);
      put(k_row0 + units * R + l, col, 1.0);
    }
  glp_load_matrix(lp, static_cast<int>(ia.size()) - 1, ia.data(), ja.data(), ar.data());
  glp_iocp parm;
  glp_init_iocp(&parm);
  parm.presolve = GLP_ON;
  parm.mip_gap = 1e-3;
  parm.tm_lim = static_cast<int>(time_limit * 1000);
  parm.msg_lev = GLP_MSG_OFF;
  const auto ts = std::chrono::steady_clock::now();
  const int ret = glp_intopt(lp, &parm);
  const auto te = std::chrono::steady_clock::now();
  const int status = glp_mip_status(lp);
  std::printf("GLPK %s: K=%d ret=%d status=%s objective=%.6f solve %.3f s (model build %.3f s)\n", glp_version(), K, ret,
              ret == GLP_EMIPGAP ? "stopped at the 0.1% gap" : status == GLP_OPT ? "optimal" : ret == GLP_ETMLIM ? "time limit" : "no solution",
              glp_mip_obj_val(lp) * scale, std::chrono::duration<double>(te - ts).count(),
              std::chrono::duration<double>(ts - t0).count());
  glp_delete_prob(lp);
  return 0;
}
