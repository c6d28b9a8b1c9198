# Throwaway OpenLDAP (slapd, mdb backend) on loopback, for benchmarks. Source it, then:
#   slapd_start DIR PORT FILE.ldif   writes DIR/slapd.conf, loads the LDIF offline (slapadd) and starts
#                                    slapd; sets SLAPD_PID
#   slapd_run DIR PORT               starts slapd on what an earlier slapd_start left in DIR (no load)
#   slapd_stop                       stops it and waits, so that DIR can be used again at once
# Indexes cover the attributes the benchmark searches: uid, cn, displayName, givenName (pinyin),
# initials, mobile, objectClass.
slapd_start() {
  local dir=$1 port=$2 ldif=$3
  mkdir -p "$dir/db"
  cat >"$dir/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
sizelimit 1000
database mdb
maxsize 17179869184
suffix "dc=zhengtong,dc=gov,dc=cn"
rootdn "cn=admin,dc=zhengtong,dc=gov,dc=cn"
rootpw bench-only
directory $dir/db
index objectClass eq
index uid eq
index cn,displayName,givenName,initials eq,sub
index mobile eq,sub
index l,ou eq
CONF
  /usr/sbin/slapadd -q -f "$dir/slapd.conf" -l "$ldif" || return 1
  slapd_run "$dir" "$port"
}

slapd_run() {
  local dir=$1 port=$2
  [[ -f $dir/slapd.conf && -d $dir/db ]] || { echo "slapd: no slapd.conf and db in $dir" >&2; return 1; }
  rm -f "$dir/slapd.pid"
  /usr/sbin/slapd -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$port/" || return 1
  for _ in $(seq 1 100); do
    [[ -s "$dir/slapd.pid" ]] && ldapsearch -x -H "ldap://127.0.0.1:$port/" -b "" -s base >/dev/null 2>&1 && break
    sleep 0.1
  done
  SLAPD_PID=$(cat "$dir/slapd.pid")
}

slapd_stop() {
  if [[ -n ${SLAPD_PID:-} ]] && kill "$SLAPD_PID" 2>/dev/null; then
    # Gone, or a zombie (slapd detaches, and whoever inherits it may reap late): its db is closed either way.
    local state
    for _ in $(seq 1 100); do
      state=$(ps -o stat= -p "$SLAPD_PID" 2>/dev/null) || break
      [[ $state == Z* ]] && break
      sleep 0.1
    done
  fi
  SLAPD_PID=""
}
