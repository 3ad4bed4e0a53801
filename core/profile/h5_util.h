#pragma once
// Thin RAII + attribute helpers over the HDF5 C API, private to core/profile.
// The C API is used (not the C++ one) because its error handling can be silenced and turned
// into our own "<file>: <problem>" messages.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace moa::h5 {

// Owns one HDF5 identifier and closes it with the right H5?close.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      close_ = o.close_;
      o.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

// Silences HDF5's default error printing for the lifetime of the process: our callers get
// exceptions that name the file instead of a stack dump on stderr.
void quiet_errors();
// Empties the error stack a failed call left. A failed call on a thread other than the one
// that started the library (Studio reads profiles on worker threads) otherwise leaves entries
// that make the library print "infinite loop closing library" at exit (HDF5 1.10, measured).
void clear_errors();

bool has_attr(hid_t obj, const std::string& name);
void write_attr_i64(hid_t obj, const std::string& name, int64_t value);
void write_attr_str(hid_t obj, const std::string& name, const std::string& value);
// Readers throw moa::Error "<file>: missing attribute '<where><name>'" when absent.
int64_t read_attr_i64(hid_t obj, const std::string& name, const std::string& file,
                      const std::string& where);
std::string read_attr_str(hid_t obj, const std::string& name, const std::string& file,
                          const std::string& where);

std::vector<hsize_t> dataset_dims(hid_t dset);
// Writes/reads the leading `count` elements of a 1-D dataset.
void write_prefix(hid_t dset, hid_t mem_type, const void* data, hsize_t count);
void read_prefix(hid_t dset, hid_t mem_type, void* data, hsize_t count);

}  // namespace moa::h5
