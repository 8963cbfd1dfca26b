#include "ssl.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "errors.hpp"
#include "retry.hpp"

namespace swarmlet::green {
namespace {

std::string openssl_reason(const std::string& what) {
  std::string out = what;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += ": ";
    out += buf;
  }
  return out;
}

SSL_CTX* new_ctx(const SSL_METHOD* method) {
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (ctx == nullptr) throw tls_error(openssl_reason("SSL_CTX_new"));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // A peer that closes without close_notify ends the stream like any EOF.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

/// Where a client session notes that the server asked for a certificate it had not got.
int certificate_asked_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

/// OpenSSL calls this when the server asks for a client certificate and the session has none;
/// sending none (0) leaves the server to decide.
int note_certificate_asked(SSL* ssl, X509**, EVP_PKEY**) {
  static char asked;
  SSL_set_ex_data(ssl, certificate_asked_index(), &asked);
  return 0;
}

struct bio_free {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
std::unique_ptr<BIO, bio_free> pem_bio(std::string_view pem) {
  return std::unique_ptr<BIO, bio_free>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

}  // namespace

tls_context tls_context::client(bool verify, const std::string& ca_file) {
  tls_context c(new_ctx(TLS_client_method()), verify);
  SSL_CTX_set_client_cert_cb(c.native(), note_certificate_asked);
  if (verify) {
    SSL_CTX_set_verify(c.native(), SSL_VERIFY_PEER, nullptr);
    c.system_store_ = true;  // loaded at the first handshake (see load_system_store)
    if (!ca_file.empty() &&
        SSL_CTX_load_verify_locations(c.native(), ca_file.c_str(), nullptr) != 1)
      throw tls_error(openssl_reason("cannot load CA file " + ca_file));
  } else {
    SSL_CTX_set_verify(c.native(), SSL_VERIFY_NONE, nullptr);
  }
  return c;
}

tls_context tls_context::server(const std::string& cert_file, const std::string& key_file) {
  tls_context c(new_ctx(TLS_server_method()), false);
  if (SSL_CTX_use_certificate_chain_file(c.native(), cert_file.c_str()) != 1)
    throw tls_error(openssl_reason("cannot load certificate " + cert_file));
  if (SSL_CTX_use_PrivateKey_file(c.native(), key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    throw tls_error(openssl_reason("cannot load key " + key_file));
  return c;
}

tls_context tls_context::server_from_pem(std::string_view cert_pem, std::string_view key_pem) {
  tls_context c(new_ctx(TLS_server_method()), false);
  c.use_certificate_pem(cert_pem, key_pem);
  return c;
}

void tls_context::use_certificate_pem(std::string_view cert_pem, std::string_view key_pem) {
  auto cb = pem_bio(cert_pem);
  X509* cert = PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr);
  if (cert == nullptr) throw tls_error(openssl_reason("bad certificate PEM"));
  const int cert_ok = SSL_CTX_use_certificate(native(), cert);
  X509_free(cert);
  if (cert_ok != 1) throw tls_error(openssl_reason("SSL_CTX_use_certificate"));
  // The rest of the text is the chain up to (not always including) the root.
  while (X509* extra = PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr))
    if (SSL_CTX_add_extra_chain_cert(native(), extra) != 1) X509_free(extra);
  ERR_clear_error();  // the loop ends on a "no more PEM" error
  auto kb = pem_bio(key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) throw tls_error(openssl_reason("bad key PEM"));
  const int key_ok = SSL_CTX_use_PrivateKey(native(), key);
  EVP_PKEY_free(key);
  // OpenSSL checks here that the key is the certificate's.
  if (key_ok != 1) throw tls_error(openssl_reason("the key does not match the certificate"));
  if (SSL_CTX_check_private_key(native()) != 1)
    throw tls_error(openssl_reason("the key does not match the certificate"));
}

void tls_context::load_system_store() const {
  if (!system_store_ || system_store_loaded_) return;
  system_store_loaded_ = true;
  SSL_CTX_set_default_verify_paths(native());
}

void tls_context::trust_pem(std::string_view ca_pem) {
  auto b = pem_bio(ca_pem);
  X509_STORE* store = SSL_CTX_get_cert_store(native());
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
    ++added;
  }
  ERR_clear_error();  // the loop ends on a "no more PEM" error
  if (added == 0) throw tls_error("no certificate in the PEM text to trust");
}

template <class Op>
int tls_stream::retry(const char* what, Op op) {
  // OpenSSL may hold data already read, so every try calls it, whatever the ready flags say.
  // The socket's timeout bounds the whole call, as on a plain socket (its fixed deadline, when
  // set, every call): taken anew for each wait, a server trickling one record a byte at a time
  // held an HTTP/2 request, a WebSocket or a TLS handshake for ever (hunt).
  const socket::call_deadline until = socket_.next_call_deadline();
  const auto rc = retry_io(
      socket_.watched(), [&until] { return until(); }, what,
      [&]() -> io_attempt<int> {
        ERR_clear_error();
        const int rc = op();
        if (rc == 1) return rc;
        switch (SSL_get_error(ssl_.get(), rc)) {
          case SSL_ERROR_WANT_READ:
            return would_block{io_direction::read};
          case SSL_ERROR_WANT_WRITE:
            return would_block{io_direction::write};
          default:
            return rc;
        }
      });
  if (!rc) throw operation_timed_out(std::string(what) + " timed out");
  return *rc;
}

std::size_t tls_stream::read_some(std::span<char> buffer) {
  const watched_fd_ref fd = socket_.watched();
  fd.home().before_read(fd.watch());
  std::size_t n = 0;
  const int rc =
      retry("TLS read", [&] { return SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &n); });
  if (rc == 1) {
    fd.home().after_read(fd.watch());
    return n;
  }
  const int err = SSL_get_error(ssl_.get(), rc);
  if (err == SSL_ERROR_ZERO_RETURN) return 0;
  if (err == SSL_ERROR_SYSCALL) {
    if (errno == 0) return 0;
    throw std::system_error(errno, std::generic_category(), "TLS read");
  }
  throw tls_error(openssl_reason("TLS read"));
}

void tls_stream::write_all(std::string_view data) {
  while (!data.empty()) {
    std::size_t n = 0;
    const int rc =
        retry("TLS write", [&] { return SSL_write_ex(ssl_.get(), data.data(), data.size(), &n); });
    if (rc == 1) {
      data.remove_prefix(n);
      continue;
    }
    if (SSL_get_error(ssl_.get(), rc) == SSL_ERROR_SYSCALL)
      throw std::system_error(errno ? errno : EPIPE, std::generic_category(), "TLS write");
    throw tls_error(openssl_reason("TLS write"));
  }
}

void tls_stream::close() noexcept {
  if (ssl_ && socket_.valid()) {
    SSL_shutdown(ssl_.get());  // one non-blocking attempt at close_notify: never wait for the peer
  }
  socket_.close();
}

std::string tls_stream::protocol() const {
  return SSL_get_version(ssl_.get());
}

bool tls_stream::holds_input() const noexcept {
  return SSL_has_pending(ssl_.get()) == 1;
}

std::string_view tls_stream::alpn() const noexcept {
  const unsigned char* data = nullptr;
  unsigned int size = 0;
  SSL_get0_alpn_selected(ssl_.get(), &data, &size);
  return data == nullptr ? std::string_view()
                         : std::string_view(reinterpret_cast<const char*>(data), size);
}

bool tls_stream::client_certificate_missing() const noexcept {
  return SSL_get_ex_data(ssl_.get(), certificate_asked_index()) != nullptr;
}

tls_stream wrap_ssl(socket s, const tls_context& context, tls_role role,
                    const std::string& server_name, std::string_view alpn) {
  context.load_system_store();
  SSL* ssl = SSL_new(context.native());
  if (ssl == nullptr) throw tls_error(openssl_reason("SSL_new"));
  tls_stream t(std::move(s), ssl);
  SSL_set_fd(ssl, t.socket_.fd());
  // Reads take what the socket holds, not a record's exact bytes: a record the server sent after
  // a response, in the same arrival, is then in OpenSSL's buffer (holds_input) instead of the
  // kernel's, where no event tells of it (hunt: a stray 500 after each 200 was read as the next
  // request's answer). Fewer reads too: a record's header and body come in one.
  SSL_set_read_ahead(ssl, 1);
  if (role == tls_role::client) {
    SSL_set_connect_state(ssl);
    if (!alpn.empty() &&
        SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(alpn.data()),
                            static_cast<unsigned int>(alpn.size())) != 0)
      throw tls_error(openssl_reason("SSL_set_alpn_protos"));
    // A fully qualified name's trailing dot ("shop.test.") is no part of the name in SNI
    // (RFC 6066 3: "without a trailing dot") nor in the certificate: curl, Go and urllib3 drop
    // it for both.
    std::string name = server_name;
    if (name.size() > 1 && name.back() == '.') name.pop_back();
    if (!name.empty()) {
      in6_addr ip;
      const bool is_ip =
          inet_pton(AF_INET, name.c_str(), &ip) == 1 || inet_pton(AF_INET6, name.c_str(), &ip) == 1;
      if (!is_ip) SSL_set_tlsext_host_name(ssl, name.c_str());
      if (context.verifies()) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        if (is_ip) {
          X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
        } else {
          SSL_set1_host(ssl, name.c_str());
        }
      }
    }
  } else {
    SSL_set_accept_state(ssl);
  }
  const int rc = t.retry("TLS handshake", [ssl] { return SSL_do_handshake(ssl); });
  if (rc == 1) return t;
  const int failed_errno = errno;
  const int error = SSL_get_error(ssl, rc);  // before the queue it reads is taken below
  std::string reason = openssl_reason("TLS handshake");
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK)
    reason += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
  if (error == SSL_ERROR_SYSCALL && failed_errno != 0) {
    reason += std::string(": ") + std::strerror(failed_errno);
  } else if (error == SSL_ERROR_SYSCALL || error == SSL_ERROR_ZERO_RETURN) {
    // An end of stream with nothing queued: the message said only "TLS handshake".
    reason += role == tls_role::client ? ": the server closed the connection in the handshake"
                                       : ": the client closed the connection in the handshake";
  }
  throw tls_error(reason);
}

}  // namespace swarmlet::green
