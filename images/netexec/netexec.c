/*
 * The lab's pod test server: answers like Kubernetes' agnhost netexec
 * (kubernetes/kubernetes test/images/agnhost/netexec/netexec.go, agnhost 2.47+), in one small
 * static process, because one runs per pod (1,000 pods on one machine).
 *
 * HTTP: /hostname /clientip /header?key=K /echo?msg=M /healthz /readyz /ready?set=true|false
 *       /shutdown; anything else is 404 "404 page not found" (Go's http.NotFound body).
 *       Bodies are text/plain without a trailing newline; HTTP/1.1 keep-alive and pipelining.
 * UDP:  "hostname", "clientip", "echo <msg>"; anything else "unknown command: <word>".
 * Flags: --http-port (8080, 0 disables) --udp-port (8081, 0 disables) --http-bind --udp-bind
 *        (0.0.0.0) --name (default $POD_NAME, then the hostname) --verbose --help;
 *        `--flag=value` or `--flag value`.
 *
 * One thread and one poll() loop: no thread stacks, no allocator arenas; each connection holds
 * a small buffer. Built static (images/netexec/build.sh), so it needs nothing from the image.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_HEAD (64 * 1024) /* a request head larger than this is refused (400) */
#define READ_CHUNK 4096

static char pod_name[256];
static int ready = 1;
static int verbose = 0;

/* ---- small byte buffers ------------------------------------------------------------------ */

struct buf {
  char *p;
  size_t len, cap;
};

static void buf_put(struct buf *b, const void *data, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      perror("netexec: out of memory");
      _exit(1);
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

static void buf_puts(struct buf *b, const char *s) { buf_put(b, s, strlen(s)); }

static void buf_printf(struct buf *b, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void buf_free(struct buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

/* Drops the first n bytes. */
static void buf_consume(struct buf *b, size_t n) {
  if (n >= b->len) {
    b->len = 0;
    return;
  }
  memmove(b->p, b->p + n, b->len - n);
  b->len -= n;
}

/* ---- text rules (as the Python server this replaces applied them) ------------------------- */

/* Whitespace as str.split()/strip() see it in a latin-1 decoded line. */
static int is_ws(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f) || c == 0x85 || c == 0xa0;
}

static void strip(const char **s, size_t *n) {
  while (*n && is_ws((unsigned char)**s)) (*s)++, (*n)--;
  while (*n && is_ws((unsigned char)(*s)[*n - 1])) (*n)--;
}

static int lower_eq(const char *s, size_t n, const char *lit) {
  size_t m = strlen(lit);
  if (n != m) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 'A' && c <= 'Z') c += 32;
    if (c != (unsigned char)lit[i]) return 0;
  }
  return 1;
}

/* Latin-1 bytes as UTF-8 (header values are read as latin-1 and answered as UTF-8). */
static void put_latin1(struct buf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
      buf_put(b, &c, 1);
    } else {
      unsigned char u[2] = {(unsigned char)(0xc0 | (c >> 6)), (unsigned char)(0x80 | (c & 0x3f))};
      buf_put(b, u, 2);
    }
  }
}

/* Bytes decoded as UTF-8 with U+FFFD for each maximal invalid subpart (Unicode's rule, Python's too). */
static void put_utf8(struct buf *b, const unsigned char *s, size_t n) {
  static const unsigned char fffd[3] = {0xef, 0xbf, 0xbd};
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      buf_put(b, &c, 1);
      i++;
      continue;
    }
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      buf_put(b, fffd, 3);
      i++;
      continue;
    }
    size_t k = 1;
    while (k <= need && i + k < n) {
      unsigned char d = s[i + k];
      if (k == 1 ? (d < lo || d > hi) : (d < 0x80 || d > 0xbf)) break;
      k++;
    }
    if (k == need + 1) buf_put(b, s + i, k);
    else buf_put(b, fffd, 3);
    i += k;
  }
}

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/*
 * A query component decoded as a form value: '+' is a space, %XX a byte; runs of ASCII are
 * percent-decoded then read as UTF-8 (invalid bytes -> U+FFFD), raw non-ASCII bytes are latin-1.
 */
static void put_unquoted(struct buf *out, const char *s, size_t n) {
  size_t i = 0;
  struct buf bytes = {0};
  while (i < n) {
    if ((unsigned char)s[i] >= 0x80) {
      size_t j = i;
      while (j < n && (unsigned char)s[j] >= 0x80) j++;
      put_latin1(out, s + i, j - i);
      i = j;
      continue;
    }
    bytes.len = 0;
    while (i < n && (unsigned char)s[i] < 0x80) {
      unsigned char c = (unsigned char)s[i];
      if (c == '+') c = ' ';
      if (c == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 && hexval((unsigned char)s[i + 2]) >= 0) {
        c = (unsigned char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
        i += 3;
      } else {
        i++;
      }
      buf_put(&bytes, &c, 1);
    }
    put_utf8(out, (unsigned char *)bytes.p, bytes.len);
  }
  buf_free(&bytes);
}

/* The first value of form field `key` in the query (decoded, NUL-terminated); found or not. */
static int query_arg(const char *q, size_t qn, const char *key, struct buf *val) {
  size_t i = 0;
  while (i <= qn) {
    size_t j = i;
    while (j < qn && q[j] != '&') j++;
    if (j > i) {
      const char *eq = memchr(q + i, '=', j - i);
      size_t kn = eq ? (size_t)(eq - (q + i)) : j - i;
      struct buf k = {0};
      put_unquoted(&k, q + i, kn);
      int match = k.len == strlen(key) && memcmp(k.p, key, k.len) == 0;
      buf_free(&k);
      if (match) {
        if (eq) put_unquoted(val, eq + 1, (size_t)(q + j - (eq + 1)));
        buf_put(val, "", 1);
        val->len--;
        return 1;
      }
    }
    i = j + 1;
  }
  buf_put(val, "", 1);
  val->len--;
  return 0;
}

/* ---- addresses ----------------------------------------------------------------------------- */

/* ip:port as agnhost prints RemoteAddr; IPv4-mapped peers read as IPv4, IPv6 as [ip]:port. */
static void format_peer(const struct sockaddr_storage *ss, char *out, size_t n) {
  char ip[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = "?";
  int port = 0;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    port = ntohs(a->sin_port);
    snprintf(out, n, "%s:%d", ip, port);
    return;
  }
  const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
  port = ntohs(a->sin6_port);
  if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
    inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], ip, sizeof ip);
    snprintf(out, n, "%s:%d", ip, port);
    return;
  }
  inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
  if (a->sin6_scope_id) {
    char ifn[IF_NAMESIZE];
    size_t l = strlen(ip);
    if (if_indextoname(a->sin6_scope_id, ifn)) snprintf(ip + l, sizeof ip - l, "%%%s", ifn);
  }
  snprintf(out, n, "[%s]:%d", ip, port);
}

static int bind_socket(int type, const char *addr, int port) {
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof ss);
  if (strchr(addr, ':')) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((unsigned short)port);
    if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1) return -2;
    len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, addr, &a->sin_addr) != 1) return -2;
    len = sizeof *a;
  }
  int fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, len) < 0 || (type == SOCK_STREAM && listen(fd, 128) < 0)) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* ---- HTTP ---------------------------------------------------------------------------------- */

struct conn {
  int fd;
  char peer[INET6_ADDRSTRLEN + IF_NAMESIZE + 16];
  struct buf in, out;
  size_t out_off;
  size_t skip;  /* request body bytes still to discard */
  int eof;      /* the client sent FIN */
  int closing;  /* close once `out` is sent */
  int exiting;  /* exit the process once `out` is sent (/shutdown) */
};

static const char *reason(int code) {
  switch (code) {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 404: return "Not Found";
  case 503: return "Service Unavailable";
  default: return "";
  }
}

/* The status and body of one request; *exit_after for /shutdown. */
static int route(const char *path, size_t pn, const char *q, size_t qn, const char *head, size_t hn,
                 const char *peer, struct buf *body, int *exit_after) {
#define IS(lit) (pn == sizeof(lit) - 1 && memcmp(path, lit, pn) == 0)
  *exit_after = 0;
  if (IS("/hostname")) {
    buf_puts(body, pod_name);
    return 200;
  }
  if (IS("/clientip")) {
    buf_puts(body, peer);
    return 200;
  }
  if (IS("/header")) {
    struct buf key = {0};
    query_arg(q, qn, "key", &key);
    const char *k = key.p ? key.p : "";
    size_t kn = key.len;
    strip(&k, &kn);
    if (kn == 0) {
      buf_free(&key);
      buf_puts(body, "missing key");
      return 400;
    }
    char want[256];
    if (kn >= sizeof want) kn = sizeof want - 1;
    for (size_t i = 0; i < kn; i++) want[i] = (k[i] >= 'A' && k[i] <= 'Z') ? (char)(k[i] + 32) : k[i];
    want[kn] = 0;
    buf_free(&key);
    /* Header lines after the request line; the first with this name wins, like Go's Header.Get. */
    const char *p = memchr(head, '\n', hn);
    const char *end = head + hn;
    while (p && p + 1 < end) {
      const char *ls = p + 1;
      const char *nl = memchr(ls, '\n', (size_t)(end - ls));
      const char *le = nl ? nl : end;
      const char *colon = memchr(ls, ':', (size_t)(le - ls));
      const char *kp = ls;
      size_t kl = (size_t)((colon ? colon : le) - ls);
      strip(&kp, &kl);
      if (lower_eq(kp, kl, want)) {
        const char *vp = colon ? colon + 1 : le;
        size_t vl = (size_t)(le - vp);
        strip(&vp, &vl);
        put_latin1(body, vp, vl);
        break;
      }
      p = nl;
    }
    return 200;
  }
  if (IS("/echo")) {
    query_arg(q, qn, "msg", body);
    return 200;
  }
  if (IS("/healthz") || IS("/readyz")) {
    buf_puts(body, ready ? "ok" : "not ready");
    return ready ? 200 : 503;
  }
  if (IS("/ready")) {
    struct buf s = {0};
    query_arg(q, qn, "set", &s);
    const char *v = s.p ? s.p : "";
    if (lower_eq(v, s.len, "true") || lower_eq(v, s.len, "1")) ready = 1;
    else if (lower_eq(v, s.len, "false") || lower_eq(v, s.len, "0")) ready = 0;
    else if (s.len) {
      buf_free(&s);
      buf_puts(body, "set must be true or false");
      return 400;
    }
    buf_free(&s);
    buf_puts(body, ready ? "ready=true" : "ready=false");
    return 200;
  }
  if (IS("/shutdown")) {
    *exit_after = 1;
    buf_puts(body, "shutting down");
    return 200;
  }
  buf_puts(body, "404 page not found");
  return 404;
#undef IS
}

/* The value of header `name` (lower case) in the head, first one wins; NULL when absent. */
static const char *header(const char *head, size_t hn, const char *name, size_t *vn) {
  const char *p = memchr(head, '\n', hn);
  const char *end = head + hn;
  while (p && p + 1 < end) {
    const char *ls = p + 1;
    const char *nl = memchr(ls, '\n', (size_t)(end - ls));
    const char *le = nl ? nl : end;
    const char *colon = memchr(ls, ':', (size_t)(le - ls));
    const char *kp = ls;
    size_t kl = (size_t)((colon ? colon : le) - ls);
    strip(&kp, &kl);
    if (lower_eq(kp, kl, name)) {
      const char *vp = colon ? colon + 1 : le;
      *vn = (size_t)(le - vp);
      strip(&vp, vn);
      return vp;
    }
    p = nl;
  }
  return NULL;
}

/*
 * Where the head (request line and headers) ends in the buffer: just past the empty line, or 0
 * when it is not complete yet. At EOF a partial head counts as complete (the client said all).
 */
static size_t head_end(const struct buf *in, int eof) {
  const char *s = in->p;
  size_t n = in->len, pos = 0;
  const char *nl = memchr(s, '\n', n);
  if (!nl) return eof ? n : 0;
  pos = (size_t)(nl - s) + 1;
  for (;;) {
    nl = pos < n ? memchr(s + pos, '\n', n - pos) : NULL;
    if (!nl) return eof ? n : 0;
    size_t ll = (size_t)(nl - (s + pos));
    if (ll == 0 || (ll == 1 && s[pos] == '\r')) return (size_t)(nl - s) + 1;
    pos = (size_t)(nl - s) + 1;
  }
}

static void respond(struct conn *c, int code, int keep, int head_only, const struct buf *body) {
  buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n%s\r\n",
             code, reason(code), body->len, keep ? "" : "Connection: close\r\n");
  if (!head_only && body->len) buf_put(&c->out, body->p, body->len);
}

#define MAX_PENDING_OUT (64 * 1024) /* answers queued for a client that does not read */

/*
 * Serves the complete requests in the input buffer, in order. Returns 1 when it stopped because
 * too much output waits for the client (call again once it is sent), else 0.
 */
static int serve_requests(struct conn *c) {
  for (;;) {
    if (c->closing) return 0;
    if (c->out.len - c->out_off >= MAX_PENDING_OUT) return 1;
    if (c->skip) {
      size_t d = c->skip < c->in.len ? c->skip : c->in.len;
      buf_consume(&c->in, d);
      c->skip -= d;
      if (c->skip) {
        if (c->eof) c->closing = 1; /* the body was cut short: nothing more can follow */
        return 0;
      }
    }
    /* Stray CRLFs between pipelined requests. */
    size_t lead = 0;
    while (lead < c->in.len && (c->in.p[lead] == '\n' || (c->in.p[lead] == '\r' && lead + 1 < c->in.len && c->in.p[lead + 1] == '\n')))
      lead += c->in.p[lead] == '\r' ? 2 : 1;
    buf_consume(&c->in, lead);
    if (c->in.len == 0) {
      if (c->eof) c->closing = 1;
      return 0;
    }
    size_t he = head_end(&c->in, c->eof);
    if (he == 0) {
      if (c->in.len > MAX_HEAD) {
        buf_puts(&c->out, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        c->closing = 1;
      }
      return 0;
    }
    const char *h = c->in.p;
    /* The request line: exactly three words, the last HTTP/1.x. */
    const char *le = memchr(h, '\n', he);
    size_t ln = le ? (size_t)(le - h) : he;
    const char *w[4];
    size_t wn[4];
    int nw = 0;
    for (size_t i = 0; i < ln;) {
      while (i < ln && is_ws((unsigned char)h[i])) i++;
      if (i >= ln) break;
      size_t j = i;
      while (j < ln && !is_ws((unsigned char)h[j])) j++;
      if (nw < 4) w[nw] = h + i, wn[nw] = j - i;
      nw++;
      i = j;
    }
    if (nw != 3 || wn[2] < 7 || memcmp(w[2], "HTTP/1.", 7) != 0) {
      buf_puts(&c->out, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      c->closing = 1;
      return 0;
    }
    size_t vn;
    const char *v = header(h, he, "content-length", &vn);
    long long body_len = 0;
    if (v && vn) {
      char num[32];
      if (vn >= sizeof num) {
        c->closing = 1; /* not a length: drop the connection without an answer */
        return 0;
      }
      memcpy(num, v, vn);
      num[vn] = 0;
      char *endp;
      errno = 0;
      body_len = strtoll(num, &endp, 10);
      if (errno || *endp) {
        c->closing = 1;
        return 0;
      }
    }
    const char *ch = header(h, he, "connection", &vn);
    int http11 = wn[2] == 8 && memcmp(w[2], "HTTP/1.1", 8) == 0;
    int keep = http11 ? !(ch && lower_eq(ch, vn, "close")) : (ch && lower_eq(ch, vn, "keep-alive"));
    const char *te = header(h, he, "transfer-encoding", &vn);
    if (te) {
      /* Request bodies are never used: a chunked one is not parsed, the connection closes after the answer. */
      for (size_t i = 0; i + 7 <= vn; i++)
        if (lower_eq(te + i, 7, "chunked")) keep = 0;
    }
    const char *target = w[1];
    size_t tn = wn[1];
    const char *qm = memchr(target, '?', tn);
    size_t pn = qm ? (size_t)(qm - target) : tn;
    struct buf body = {0};
    int exit_after;
    int code = route(target, pn, qm ? qm + 1 : "", qm ? tn - pn - 1 : 0, h, he, c->peer, &body, &exit_after);
    if (exit_after) keep = 0;
    respond(c, code, keep, wn[0] == 4 && memcmp(w[0], "HEAD", 4) == 0, &body);
    if (verbose)
      fprintf(stderr, "%s %.*s %.*s %d\n", c->peer, (int)wn[0], w[0], (int)tn, target, code);
    buf_free(&body);
    buf_consume(&c->in, he);
    c->skip = body_len > 0 ? (size_t)body_len : 0;
    if (exit_after) c->exiting = 1;
    if (!keep) c->closing = 1;
  }
}

/* Sends what is queued; returns -1 when the connection is gone. */
static int flush_out(struct conn *c) {
  while (c->out_off < c->out.len) {
    ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return -1;
    }
    c->out_off += (size_t)n;
  }
  c->out.len = c->out_off = 0;
  if (c->out.cap > 4096) buf_free(&c->out);
  return 0;
}

/* ---- UDP ----------------------------------------------------------------------------------- */

static void serve_udp(int fd) {
  static unsigned char data[65536];
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    ssize_t n = recvfrom(fd, data, sizeof data, 0, (struct sockaddr *)&ss, &sl);
    if (n < 0) return;
    char peer[INET6_ADDRSTRLEN + IF_NAMESIZE + 16];
    format_peer(&ss, peer, sizeof peer);
    struct buf msg = {0}, out = {0};
    put_utf8(&msg, data, (size_t)n);
    const char *m = msg.p ? msg.p : "";
    size_t mn = msg.len;
    /* strip() of ASCII whitespace and the C0 separators, as str.strip() */
    while (mn && (m[0] == ' ' || (m[0] >= '\t' && m[0] <= '\r') || (m[0] >= 0x1c && m[0] <= 0x1f))) m++, mn--;
    while (mn && (m[mn - 1] == ' ' || (m[mn - 1] >= '\t' && m[mn - 1] <= '\r') || (m[mn - 1] >= 0x1c && m[mn - 1] <= 0x1f))) mn--;
    if (mn == 8 && memcmp(m, "hostname", 8) == 0) buf_puts(&out, pod_name);
    else if (mn == 8 && memcmp(m, "clientip", 8) == 0) buf_puts(&out, peer);
    else if (mn == 4 && memcmp(m, "echo", 4) == 0) {
    } else if (mn >= 5 && memcmp(m, "echo ", 5) == 0) buf_put(&out, m + 5, mn - 5);
    else {
      const char *sp = memchr(m, ' ', mn);
      buf_puts(&out, "unknown command: ");
      buf_put(&out, m, sp ? (size_t)(sp - m) : mn);
    }
    if (verbose) fprintf(stderr, "udp %s '%.*s'\n", peer, (int)mn, m);
    sendto(fd, out.p ? out.p : "", out.len, MSG_NOSIGNAL, (struct sockaddr *)&ss, sl);
    buf_free(&msg);
    buf_free(&out);
  }
}

/* ---- main ---------------------------------------------------------------------------------- */

static void usage(FILE *f) {
  fputs("usage: netexec [--http-port N] [--udp-port N] [--http-bind ADDR] [--udp-bind ADDR] [--name NAME] [--verbose]\n"
        "pod test server (agnhost netexec work-alike)\n"
        "  --http-port N     HTTP port, 0 disables (default 8080)\n"
        "  --udp-port N      UDP port, 0 disables (default 8081)\n"
        "  --http-bind ADDR  HTTP bind address (127.0.0.1 keeps it inside the pod; default 0.0.0.0)\n"
        "  --udp-bind ADDR   UDP bind address (default 0.0.0.0)\n"
        "  --name NAME       pod name answered by /hostname (default $POD_NAME or the hostname)\n"
        "  --verbose         log each request to stderr\n",
        f);
}

static void bad_usage(const char *fmt, const char *arg) {
  usage(stderr);
  fputs("netexec: error: ", stderr);
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  exit(2);
}

static int parse_port(const char *flag, const char *v) {
  char *end;
  errno = 0;
  long p = strtol(v, &end, 10);
  if (errno || *v == 0 || *end || p < 0 || p > 65535) bad_usage("argument %s: not a port (0..65535)", flag);
  return (int)p;
}

int main(int argc, char **argv) {
  int http_port = 8080, udp_port = 8081;
  const char *http_bind = "0.0.0.0", *udp_bind = "0.0.0.0", *name = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    }
    if (!strcmp(a, "--verbose")) {
      verbose = 1;
      continue;
    }
    static const char *const flags[] = {"--http-port", "--udp-port", "--http-bind", "--udp-bind", "--name"};
    const char *val = NULL;
    int which = -1;
    for (int f = 0; f < 5 && which < 0; f++) {
      size_t l = strlen(flags[f]);
      if (!strncmp(a, flags[f], l) && a[l] == '=') which = f, val = a + l + 1;
      else if (!strcmp(a, flags[f])) {
        if (i + 1 >= argc) bad_usage("argument %s: expected one argument", a);
        which = f, val = argv[++i];
      }
    }
    if (which < 0) bad_usage("unrecognized argument: %s", a);
    if (which == 0) http_port = parse_port(flags[0], val);
    if (which == 1) udp_port = parse_port(flags[1], val);
    if (which == 2) http_bind = val;
    if (which == 3) udp_bind = val;
    if (which == 4) name = val;
  }
  if (!name || !*name) name = getenv("POD_NAME");
  if (name && *name) snprintf(pod_name, sizeof pod_name, "%s", name);
  else if (gethostname(pod_name, sizeof pod_name - 1) < 0) pod_name[0] = 0;
  signal(SIGPIPE, SIG_IGN);

  /* Bind both before serving, so a taken port fails the process at start. */
  int udp = -1, lis = -1;
  if (udp_port) {
    udp = bind_socket(SOCK_DGRAM, udp_bind, udp_port);
    if (udp == -2) bad_usage("argument --udp-bind: not an IP address: %s", udp_bind);
    if (udp < 0) {
      fprintf(stderr, "netexec: udp %s:%d: %s\n", udp_bind, udp_port, strerror(errno));
      return 1;
    }
  }
  if (http_port) {
    lis = bind_socket(SOCK_STREAM, http_bind, http_port);
    if (lis == -2) bad_usage("argument --http-bind: not an IP address: %s", http_bind);
    if (lis < 0) {
      fprintf(stderr, "netexec: http %s:%d: %s\n", http_bind, http_port, strerror(errno));
      return 1;
    }
  }

  struct conn **conns = NULL;
  size_t nconn = 0, capconn = 0;
  struct pollfd *pfd = NULL;
  size_t cappfd = 0;
  for (;;) {
    if (cappfd < nconn + 2) {
      cappfd = (nconn + 2) * 2;
      pfd = realloc(pfd, cappfd * sizeof *pfd);
      if (!pfd) _exit(1);
    }
    size_t np = 0;
    pfd[np++] = (struct pollfd){.fd = lis, .events = POLLIN};
    pfd[np++] = (struct pollfd){.fd = udp, .events = POLLIN};
    for (size_t i = 0; i < nconn; i++) {
      struct conn *c = conns[i];
      short ev = 0;
      if (c->out_off < c->out.len) ev |= POLLOUT;
      else if (!c->eof && !c->closing) ev |= POLLIN;
      pfd[np++] = (struct pollfd){.fd = c->fd, .events = ev};
    }
    if (poll(pfd, np, -1) < 0) {
      if (errno == EINTR) continue;
      perror("netexec: poll");
      return 1;
    }
    if (udp >= 0 && (pfd[1].revents & POLLIN)) serve_udp(udp);
    for (size_t i = 0; i < nconn; i++) {
      struct conn *c = conns[i];
      short re = pfd[i + 2].revents;
      int dead = 0;
      if (re & (POLLIN | POLLHUP | POLLERR)) {
        char tmp[READ_CHUNK];
        ssize_t n = recv(c->fd, tmp, sizeof tmp, 0);
        if (n > 0) buf_put(&c->in, tmp, (size_t)n);
        else if (n == 0) c->eof = 1;
        else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) dead = 1;
      }
      while (!dead) {
        int more = serve_requests(c);
        if (flush_out(c) < 0) {
          dead = 1;
          break;
        }
        if (c->out_off < c->out.len) break; /* the client reads slowly: wait for POLLOUT */
        if (c->exiting) {
          /* Pod death: the whole process ends, whatever other connections are doing. */
          shutdown(c->fd, SHUT_RDWR);
          _exit(0);
        }
        if (c->closing) {
          shutdown(c->fd, SHUT_WR);
          dead = 1;
        }
        if (!more) break;
      }
      if (dead) {
        close(c->fd);
        buf_free(&c->in);
        buf_free(&c->out);
        free(c);
        conns[i] = conns[--nconn];
        pfd[i + 2] = pfd[nconn + 2];
        i--;
      }
    }
    if (lis >= 0 && (pfd[0].revents & POLLIN)) {
      for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(lis, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (!c) _exit(1);
        c->fd = fd;
        format_peer(&ss, c->peer, sizeof c->peer);
        if (nconn == capconn) {
          capconn = capconn ? capconn * 2 : 16;
          conns = realloc(conns, capconn * sizeof *conns);
          if (!conns) _exit(1);
        }
        conns[nconn++] = c;
      }
    }
  }
}
