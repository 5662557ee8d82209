// The parts of OpenSSL's libcrypto that OutreachServe's webhook verifiers use: PEM certificate parsing,
// X.509 chain verification and EVP signature verification.
#ifndef OUTREACH_COPENSSL_SHIM_H
#define OUTREACH_COPENSSL_SHIM_H

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/err.h>

// `sk_X509_*` are function-like macros, which Swift cannot import; these wrap them.
static inline STACK_OF(X509) *outreach_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int outreach_sk_X509_push(STACK_OF(X509) *stack, X509 *cert) { return sk_X509_push(stack, cert); }
static inline void outreach_sk_X509_pop_free(STACK_OF(X509) *stack) { sk_X509_pop_free(stack, X509_free); }

#endif
