// moa logits: run the forward pass and write float32 logits (for parity checks against
// other implementations, e.g. scripts/gpu/hf_parity.py).
#include <chrono>
#include <thread>
#include <fstream>
#include <iostream>

#include "app/cli/command.h"
#include "core/compat/torch_compat.h"
#include "core/model/llama.h"
#include "core/util/error.h"

namespace {

std::vector<int64_t> read_ids(const moa::cli::Args& args) {
  if (args.has("ids")) {
    const auto v = moa::cli::parse_int_list(args.get("ids"), "--ids");
    return std::vector<int64_t>(v.begin(), v.end());
  }
  const std::string file = args.get("ids-file");
  std::ifstream in(file, std::ios::binary);
  if (!in) moa::fail_file(file, "cannot open");
  std::vector<int64_t> ids;
  int64_t v;
  while (in.read(reinterpret_cast<char*>(&v), sizeof v)) ids.push_back(v);
  if (ids.empty()) moa::fail_file(file, "no int64 token ids in the file");
  return ids;
}

int run(const moa::cli::Args& args) {
  args.allow_only({"model", "ids", "ids-file", "dtype", "device", "out", "stride", "threads"});
  at::set_num_threads(static_cast<int>(args.get_int("threads", std::max(1u, std::thread::hardware_concurrency()))));
  const std::string dev_name = args.get("device", "cpu");
  const at::Device device = moa::compat::parse_device(dev_name, "--device");
  auto ck = moa::Checkpoint::open(args.get("model"));
  std::optional<at::ScalarType> dtype;
  if (args.has("dtype")) dtype = moa::to_scalar_type(moa::dtype_from_torch_name(args.get("dtype")));
  moa::LlamaModel model(ck, device, dtype);
  const auto ids = read_ids(args);
  const int64_t T = static_cast<int64_t>(ids.size()), stride = args.get_int("stride", 1);
  if (stride < 1) throw moa::Error("--stride must be >= 1, got " + std::to_string(stride));
  auto t_ids = at::tensor(ids, at::kLong).view({1, T});
  auto pos = at::arange(T, at::kLong).view({1, T});
  moa::DenseAttention dense;
  const auto t0 = std::chrono::steady_clock::now();
  auto logits = model.forward(t_ids, pos, nullptr, dense).squeeze(0);  // [T, V]
  if (logits.is_cuda()) logits = logits.cpu();
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Rows 0, stride, 2*stride, ... and always the last row.
  std::vector<int64_t> rows;
  for (int64_t r = 0; r < T; r += stride) rows.push_back(r);
  if (rows.back() != T - 1) rows.push_back(T - 1);
  auto picked = logits.index_select(0, at::tensor(rows, at::kLong)).contiguous();
  if (args.has("out")) {
    std::ofstream out(args.get("out"), std::ios::binary);
    out.write(reinterpret_cast<const char*>(picked.data_ptr<float>()), picked.numel() * sizeof(float));
    if (!out) moa::fail_file(args.get("out"), "write failed");
  }
  std::cout << "tokens " << T << " rows " << rows.size() << " vocab " << logits.size(1) << " dtype "
            << c10::toString(model.dtype()) << " device " << dev_name << " seconds " << sec
            << " finite " << (at::isfinite(picked).all().item<bool>() ? "yes" : "NO") << "\n";
  return 0;
}

moa::cli::Register reg({"logits", "run the forward pass on token ids and write float32 logits",
                        "--model DIR (--ids 1,2,3 | --ids-file ids.i64) [--dtype float32|bfloat16|float16|float64 (default: the checkpoint's)] "
                        "[--device cpu|cuda] [--stride K] [--threads T] [--out logits.f32]",
                        run, {}});

}  // namespace
