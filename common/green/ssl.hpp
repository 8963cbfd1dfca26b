#pragma once
// TLS over a green socket (eventlet's wrap_ssl): OpenSSL in non-blocking mode, parking the
// green thread whenever OpenSSL wants to read or write.
#include <openssl/ssl.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "socket.hpp"
#include "stream.hpp"

namespace swarmlet::green {

/// A TLS failure (handshake, certificate, protocol), with OpenSSL's reason.
class tls_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Settings shared by many TLS sessions (an SSL_CTX).
class tls_context {
 public:
  /// For clients. `verify`: check the server's certificate chain and name (on by default);
  /// trusts the system's CA store, plus `ca_file` if given. The system's store is read at the
  /// first handshake, not here: parsing its hundred-odd certificates costs tens of
  /// milliseconds, which a test of plain http:// targets (and each hub thread) need not pay.
  /// A context serves one OS thread (a hub thread's users).
  static tls_context client(bool verify = true, const std::string& ca_file = "");
  /// For servers, with a certificate chain and key in PEM files.
  static tls_context server(const std::string& cert_file, const std::string& key_file);
  /// For servers, with the certificate and key as PEM text.
  static tls_context server_from_pem(std::string_view cert_pem, std::string_view key_pem);
  /// Also trusts the certificate(s) in `ca_pem` (e.g. a test server's self-signed one).
  /// Throws tls_error when the text holds no certificate.
  void trust_pem(std::string_view ca_pem);
  /// Presents the certificate (the first of `cert_pem`, the rest its chain) with the private
  /// key of `key_pem`: a server's identity, or a client's for servers that ask for one (mTLS).
  /// Throws tls_error when either does not parse or the key is not the certificate's.
  void use_certificate_pem(std::string_view cert_pem, std::string_view key_pem);

  bool verifies() const noexcept { return verify_; }
  /// Reads the system's CA store into the context, once, if it trusts it (wrap_ssl calls it).
  void load_system_store() const;
  SSL_CTX* native() const noexcept { return ctx_.get(); }

 private:
  struct ctx_free {
    void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
  };
  explicit tls_context(SSL_CTX* ctx, bool verify) : ctx_(ctx), verify_(verify) {}
  std::unique_ptr<SSL_CTX, ctx_free> ctx_;
  bool verify_;
  bool system_store_ = false;                 // trusts the system's CA store
  mutable bool system_store_loaded_ = false;  // and has read it
};

enum class tls_role { client, server };

/// A TLS session over a green socket, which it owns.
class tls_stream final : public stream {
 public:
  tls_stream(tls_stream&&) noexcept = default;
  tls_stream& operator=(tls_stream&&) noexcept = default;
  ~tls_stream() override = default;

  /// Parks until decrypted data arrives; 0 once the peer closed the session.
  std::size_t read_some(std::span<char> buffer) override;
  /// Encrypts and sends every byte, parking as needed.
  void write_all(std::string_view data) override;
  /// Sends close_notify (best effort) and closes the socket.
  void close() noexcept;
  socket& raw() noexcept { return socket_; }
  const socket& raw() const noexcept { return socket_; }
  /// Whether the session holds bytes it read from the socket that no read_some took (a record,
  /// or part of one).
  bool holds_input() const noexcept;
  /// The negotiated protocol, e.g. "TLSv1.3".
  std::string protocol() const;
  /// The application protocol the server chose by ALPN ("h2", "http/1.1"), or empty.
  std::string_view alpn() const noexcept;
  /// A client's: the server asked for a certificate in the handshake and this client had none
  /// to give. Servers that require one (nginx's ssl_verify_client on) still finish the
  /// handshake and refuse each request with a status that does not say why (400).
  bool client_certificate_missing() const noexcept;

 private:
  friend tls_stream wrap_ssl(socket, const tls_context&, tls_role, const std::string&,
                             std::string_view);
  struct ssl_free {
    void operator()(SSL* s) const noexcept { SSL_free(s); }
  };
  tls_stream(socket s, SSL* ssl) : socket_(std::move(s)), ssl_(ssl) {}
  /// Calls `op` (an OpenSSL call on this session) until it no longer wants to read or write,
  /// parking meanwhile; returns its last result. Throws operation_timed_out.
  template <class Op>
  int retry(const char* what, Op op);
  socket socket_;
  std::unique_ptr<SSL, ssl_free> ssl_;
};

/// Runs the TLS handshake on `s` as `role` and returns the session. A client checks the
/// server's certificate against `server_name` (also sent as SNI) when the context verifies,
/// and offers the protocols of `alpn` (ALPN wire format, e.g. "\x02h2\x08http/1.1"; empty:
/// none; see tls_stream::alpn for the server's choice).
/// Throws tls_error, std::system_error or operation_timed_out (the socket's timeout applies).
tls_stream wrap_ssl(socket s, const tls_context& context, tls_role role,
                    const std::string& server_name = "", std::string_view alpn = {});

}  // namespace swarmlet::green
