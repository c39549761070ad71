#include "videos/jpeg_header.hpp"

#include <csetjmp>
#include <cstdio>

#include <jpeglib.h>

namespace video {

namespace {

// libjpeg reports fatal errors through error_exit, which must not return:
// it jumps back to read_jpeg_size. Warnings are not printed.
struct error_manager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
};

void on_error(j_common_ptr info) {
  std::longjmp(reinterpret_cast<error_manager*>(info->err)->jump, 1);
}

void on_message(j_common_ptr) {
  // nop
}

} // namespace

std::optional<jpeg_size> read_jpeg_size(const uint8_t* data, size_t n) {
  if (data == nullptr || n < 4)
    return std::nullopt;
  jpeg_decompress_struct info;
  error_manager err;
  info.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.output_message = on_message;
  // Nothing with a destructor lives between setjmp and a longjmp to it.
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&info);
    return std::nullopt;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, data, static_cast<unsigned long>(n));
  if (jpeg_read_header(&info, TRUE) != JPEG_HEADER_OK) {
    jpeg_destroy_decompress(&info);
    return std::nullopt;
  }
  jpeg_size out{info.image_width, info.image_height};
  jpeg_destroy_decompress(&info);
  return out;
}

} // namespace video
