"""Gunicorn settings for trust-it's web processes.

Used by the systemd unit, the container image and Kubernetes alike:

    gunicorn -c /opt/trust-it/deploy/gunicorn.conf.py trust_it.wsgi:app

Everything that differs between hosts comes from the environment, so this
file never needs editing per installation.  Any other gunicorn setting can
be overridden without touching it through GUNICORN_CMD_ARGS, for example
GUNICORN_CMD_ARGS="--timeout 120 --log-level debug"; gunicorn gives that
variable precedence over this file.
"""

import multiprocessing
import os

# --- Socket -----------------------------------------------------------------

# Behind nginx on the same host, set TRUST_IT_BIND=127.0.0.1:8000 so the app
# is not reachable around the proxy.  In a container 0.0.0.0 is right.
bind = os.environ.get("TRUST_IT_BIND", "0.0.0.0:8000")

# --- Processes ----------------------------------------------------------------

# Gunicorn's rule of thumb.  In a container cpu_count() reports the node's
# cores, not the pod's CPU limit, so Kubernetes sets WEB_CONCURRENCY instead.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"

# Each worker imports the app itself and so opens its own database pool and
# Redis connections after the fork.  Preloading would share sockets that were
# opened in the master between all workers, which corrupts connections.
preload_app = False

# Recycle workers now and then so a slow leak (PDF rendering, large imports)
# can never grow without bound.  The jitter stops all workers restarting at once.
max_requests = 1000
max_requests_jitter = 100

# Workers signal they are alive by touching a file in this directory.  On a
# disk-backed /tmp (or an overlay filesystem in a container) that can stall
# for seconds and get healthy workers killed; /dev/shm is memory-backed.
if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    worker_tmp_dir = "/dev/shm"

# --- Timeouts -------------------------------------------------------------------

# A request that takes longer than this is killed.  Slow work (reports,
# imports, sync) belongs on the rq workers, so a web request that needs a
# full minute is already a bug.  nginx's proxy_read_timeout is set just above.
timeout = 60
# Time a worker gets to finish in-flight requests on restart or shutdown.
# systemd's TimeoutStopSec and Kubernetes' terminationGracePeriodSeconds are
# set a little higher so this runs its course.
graceful_timeout = 30
# Sync workers close the connection after each response (keepalive does not
# apply to them).  That is fine behind nginx, which buffers the request and
# the response so a slow client never holds a worker.

# --- Proxy ----------------------------------------------------------------------

# Addresses whose X-Forwarded-Proto gunicorn believes when it decides whether
# the request arrived over HTTPS.  The default suits nginx on the same host.
# In Kubernetes the ingress controller's pod address is not fixed, so the
# ConfigMap sets "*" (the pods are only reachable through the cluster network).
# The client address itself is rewritten by the app's ProxyFix, configured
# with TRUST_IT_PROXY_FIX.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# --- Logging --------------------------------------------------------------------

# Both logs go to stdout/stderr so journald or the container runtime collects
# them; nothing is written to disk.
accesslog = "-"
errorlog = "-"
loglevel = "info"
# %(h)s is the proxy; the real client is the X-Forwarded-For header.
# %(M)s is the request duration in milliseconds.
access_log_format = (
    '%(h)s fwd="%({x-forwarded-for}i)s" "%(r)s" %(s)s %(b)s %(M)sms '
    '"%(f)s" "%(a)s"'
)

# Gunicorn's own process name in ps/top, to tell it apart from the workers.
proc_name = "trust-it-web"

# --- Control socket -------------------------------------------------------------

# Gunicorn 25.1 and later open a management socket in $XDG_RUNTIME_DIR or
# $HOME/.gunicorn by default.  systemd and Kubernetes already manage the
# process through signals, and with a read-only root filesystem there is
# nowhere to put it, so it stays off.  Older gunicorn ignores this setting.
control_socket_disable = True

# --- Garbage collection -----------------------------------------------------------

def post_worker_init(worker):
    """Once the worker has loaded the app, take what it loaded (SQLAlchemy's mappings, compiled
    templates, the URL map) out of the garbage collector's sight: they live as long as the worker.
    A full collection otherwise walks them all — about 70 ms, landing in the middle of some request
    every few requests on the larger pages (the heatmap, the dashboard)."""
    import gc
    gc.freeze()
