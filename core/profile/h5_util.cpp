#include "core/profile/h5_util.h"

#include "core/util/error.h"

namespace moa::h5 {

void quiet_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
void clear_errors() { H5Eclear2(H5E_DEFAULT); }

bool has_attr(hid_t obj, const std::string& name) {
  return H5Aexists(obj, name.c_str()) > 0;
}

namespace {

Handle open_or_create_attr(hid_t obj, const std::string& name, hid_t type) {
  if (has_attr(obj, name)) {
    // Delete and recreate when the type differs (e.g. string length); same type writes in place.
    Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
    Handle t(H5Aget_type(a.get()), H5Tclose);
    if (H5Tequal(t.get(), type) > 0) return a;
    a.reset();
    H5Adelete(obj, name.c_str());
  }
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(obj, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!a.valid()) throw Error("HDF5: cannot create attribute '" + name + "'");
  return a;
}

Handle utf8_string_type() {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

}  // namespace

void write_attr_i64(hid_t obj, const std::string& name, int64_t value) {
  Handle a = open_or_create_attr(obj, name, H5T_STD_I64LE);
  if (H5Awrite(a.get(), H5T_NATIVE_INT64, &value) < 0)
    throw Error("HDF5: cannot write attribute '" + name + "'");
}

void write_attr_str(hid_t obj, const std::string& name, const std::string& value) {
  Handle t = utf8_string_type();
  Handle a = open_or_create_attr(obj, name, t.get());
  const char* p = value.c_str();
  if (H5Awrite(a.get(), t.get(), &p) < 0) throw Error("HDF5: cannot write attribute '" + name + "'");
}

int64_t read_attr_i64(hid_t obj, const std::string& name, const std::string& file,
                      const std::string& where) {
  if (!has_attr(obj, name)) fail_file(file, "missing attribute '" + where + name + "'");
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle t(H5Aget_type(a.get()), H5Tclose);
  if (H5Tget_class(t.get()) != H5T_INTEGER)
    fail_file(file, "attribute '" + where + name + "' is not an integer");
  int64_t v = 0;
  if (H5Aread(a.get(), H5T_NATIVE_INT64, &v) < 0)
    fail_file(file, "cannot read attribute '" + where + name + "'");
  return v;
}

std::string read_attr_str(hid_t obj, const std::string& name, const std::string& file,
                          const std::string& where) {
  if (!has_attr(obj, name)) fail_file(file, "missing attribute '" + where + name + "'");
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle t(H5Aget_type(a.get()), H5Tclose);
  if (H5Tget_class(t.get()) != H5T_STRING)
    fail_file(file, "attribute '" + where + name + "' is not a string");
  if (H5Tis_variable_str(t.get()) > 0) {
    Handle mt = utf8_string_type();
    char* p = nullptr;
    if (H5Aread(a.get(), mt.get(), &p) < 0)
      fail_file(file, "cannot read attribute '" + where + name + "'");
    std::string out = p ? p : "";
    Handle space(H5Aget_space(a.get()), H5Sclose);
    H5Dvlen_reclaim(mt.get(), space.get(), H5P_DEFAULT, &p);
    return out;
  }
  // Fixed-length strings (e.g. written by numpy bytes) are accepted too.
  const size_t n = H5Tget_size(t.get());
  std::string out(n, '\0');
  if (H5Aread(a.get(), t.get(), out.data()) < 0)
    fail_file(file, "cannot read attribute '" + where + name + "'");
  out.resize(out.find('\0') == std::string::npos ? n : out.find('\0'));
  return out;
}

std::vector<hsize_t> dataset_dims(hid_t dset) {
  Handle space(H5Dget_space(dset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(rank > 0 ? rank : 0);
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

void write_prefix(hid_t dset, hid_t mem_type, const void* data, hsize_t count) {
  if (count == 0) return;
  Handle file_space(H5Dget_space(dset), H5Sclose);
  const hsize_t start = 0;
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr);
  Handle mem_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  if (H5Dwrite(dset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0)
    throw Error("HDF5: dataset write failed");
}

void read_prefix(hid_t dset, hid_t mem_type, void* data, hsize_t count) {
  if (count == 0) return;
  Handle file_space(H5Dget_space(dset), H5Sclose);
  const hsize_t start = 0;
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr);
  Handle mem_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  if (H5Dread(dset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0)
    throw Error("HDF5: dataset read failed");
}

}  // namespace moa::h5
