/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `ccgate policy generate`, field by field: a table of pod YAML snippets with the
 * policy fragments each must produce (and must not), and a table of inputs the
 * generator refuses with their exact errors, position included. Every policy made is
 * also loaded by the policy compiler. The helpers (number and prefix regexes,
 * quantities, references, initdata) are checked against PCRE2 and ccgate's reader.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "attest.h"
#include "gen_images.h"
#include "gen_internal.h"
#include "gen_model.h"
#include "generate.h"
#include "policy_error.h"

#define D(c) "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define DA D("a")
#define DB D("b")
#define DC D("c")
#define DD D("d")
#define DE D("e")
#define DF D("f")

/* The images the snippets use: configs as a JSON file gives them. */
static const char images_json[] =
        "{\"images\": ["
        "{\"name\": \"app\", \"tag\": \"1\", \"digest\": \"" DA "\", \"config\": {"
        "  \"Entrypoint\": [\"/entry\"], \"Cmd\": [\"serve\", \"--port\", \"80\"],"
        "  \"Env\": [\"PATH=/usr/bin:/bin\", \"APP_MODE=prod\"], \"WorkingDir\": \"/srv\","
        "  \"User\": \"1000\"}},"
        "{\"name\": \"plain\", \"tag\": \"1\", \"digest\": \"" DB "\", \"config\": {\"Cmd\": [\"sh\"]}},"
        "{\"name\": \"named\", \"tag\": \"1\", \"digest\": \"" DC "\", \"config\": {"
        "  \"Cmd\": [\"x\"], \"User\": \"nginx\"}},"
        "{\"name\": \"uidgid\", \"tag\": \"1\", \"digest\": \"" DD "\", \"config\": {"
        "  \"Cmd\": [\"x\"], \"User\": \"1000:2000\"}},"
        "{\"name\": \"quay.io/x/vol\", \"tag\": \"2\", \"digest\": \"" DE "\", \"config\": {"
        "  \"Cmd\": [\"x\"], \"Volumes\": {\"/data\": {}, \"/var/cache/\": {}}}},"
        "{\"name\": \"noentry\", \"tag\": \"1\", \"digest\": \"" DF "\", \"config\": {"
        "  \"Entrypoint\": [\"\"], \"Cmd\": [\"run\"]}}"
        "]}";

/* A Pod "p" in namespace "ns" around a pod spec's body (indented 2). */
#define POD(spec) \
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ns\nspec:\n" \
        "  automountServiceAccountToken: false\n  enableServiceLinks: false\n" spec
/* One container "c" of image app, plus its extra fields (indented 4). */
#define C1(extra) POD("  containers:\n  - name: c\n    image: app@" DA "\n" extra)
#define C1P(pod, extra) POD(pod "  containers:\n  - name: c\n    image: app@" DA "\n" extra)

struct options {
        const char *runtime;
        const char *settings;
        const char *workload;
        bool logs, host_path;
        const char *exec_container;
        const char *const *exec_argv;
        size_t exec_argc;
        const char *logs_from;
};

struct gen_case {
        const char *name;
        const char *yaml;
        struct options opt;
        const char *const want[12];   /* substrings the policy must have */
        const char *const unwant[6];  /* substrings it must not have */
};

/* Generate from yaml; the policy (free()) or NULL with the error in err. */
static char *generate(const char *yaml, const struct options *o, struct policy_error *err)
{
        struct gen_input *in = NULL;
        struct gen_images *im = NULL;
        struct gen_settings *set = NULL;
        struct gen_exec_allow x = { o->exec_container, o->exec_argv, o->exec_argc };
        struct gen_request rq = {
                .runtime = o->runtime, .workload = o->workload,
                .logs = o->logs ? GEN_LOGS_ALLOW : GEN_LOGS_DENY,
                .allow_host_path = o->host_path, .execs = &x, .n_execs = o->exec_container ? 1 : 0,
                .logs_from = &o->logs_from, .n_logs_from = o->logs_from ? 1 : 0,
        };
        struct gen_output out = { 0 };
        char *ret = NULL;

        assert_int_equal(gen_input_new(&in), 0);
        assert_int_equal(gen_images_new(&im), 0);
        assert_int_equal(gen_images_add_json(im, "images.json", images_json, strlen(images_json), err), 0);
        if (gen_input_add_buffer(in, "pod.yaml", yaml, strlen(yaml), err) == 0 &&
            gen_settings_load_buffer("settings.yaml", o->settings, o->settings ? strlen(o->settings) : 0,
                                     &set, err) == 0 &&
            gen_generate(in, im, set, &rq, &out, err) == 0)
                ret = strdup(out.policy);
        gen_output_done(&out);
        gen_settings_free(set);
        gen_images_free(im);
        gen_input_free(in);
        return ret;
}

static const struct gen_case cases[] = {
        /* --- args: kubelet/containerd WithProcessArgs ---------------------------- */
        { "image entrypoint and cmd", C1(""), {},
          { "      - /entry  # the image config's Entrypoint\n      - serve  # the image config's Cmd\n"
            "      - --port  # the image config's Cmd\n      - \"80\"  # the image config's Cmd\n    env:" } },
        { "command replaces entrypoint and cmd", C1("    command: [/bin/run]\n"), {},
          { "    args:\n      - /bin/run  # spec.containers[0].command[0]\n    env:" } },
        { "args replace cmd only", C1("    args: [a, b]\n"), {},
          { "      - /entry  # the image config's Entrypoint\n      - a  # spec.containers[0].args[0]\n"
            "      - b  # spec.containers[0].args[1]\n    env:" } },
        { "command and args", C1("    command: [x]\n    args: [\"\", z]\n"), {},
          { "      - x  # spec.containers[0].command[0]\n      - \"\"  # spec.containers[0].args[0]\n"
            "      - z  # spec.containers[0].args[1]\n    env:" } },
        { "an empty entrypoint is none",
          POD("  containers:\n  - name: c\n    image: noentry@" DF "\n"), {},
          { "    args:\n      - run  # the image config's Cmd\n    env:" } },
        /* --- $(VAR): kubelet's expansion ------------------------------------------ */
        { "args expand env", C1("    env:\n    - {name: X, value: hi}\n    args: [\"$(X)-$$(X)-$(NOPE)\"]\n"), {},
          { "      - \"hi-$(X)-$(NOPE)\"  # spec.containers[0].args[0]\n" } },
        { "args expand a platform value into a regex",
          C1("    env:\n    - name: IP\n      valueFrom: {fieldRef: {fieldPath: status.podIP}}\n"
             "    args: [\"--bind=$(IP)\"]\n"), {},
          { "      - {regex: \"--bind=(?:(?:10\\\\.244\\\\.", "($(VAR) expanded by kubelet)" } },
        { "env values expand earlier variables",
          C1("    env:\n    - {name: A, value: one}\n    - {name: B, value: \"$(A)/two\"}\n"), {},
          { "      - B=one/two  # spec.containers[0].env[1]\n" } },
        /* --- env ------------------------------------------------------------------ */
        { "image env, pod env replacing it in place, HOSTNAME, the Service",
          C1("    env:\n    - {name: APP_MODE, value: dev}\n"), {},
          { "      - \"PATH=/usr/bin:/bin\"  # the image config's Env\n"
            "      - HOSTNAME=p  # containerd: the pod's hostname (metadata.name)\n"
            "      - APP_MODE=dev  # spec.containers[0].env[0]\n",
            "      - KUBERNETES_SERVICE_PORT=443  # kubelet: the kubernetes Service (always set)\n",
            "{name: KUBERNETES_PORT_443_TCP_ADDR, value: {regex: \"10\\\\.(?:9[6-9]|10[0-9]|11[0-1])" },
          { "APP_MODE=prod" } },
        { "the default PATH when the image has none",
          POD("  containers:\n  - name: c\n    image: plain@" DB "\n"), {},
          { "      - \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"  # containerd's default PATH" } },
        { "fieldRef values",
          C1("    env:\n    - {name: NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}\n"
             "    - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}\n"
             "    - {name: UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}\n"
             "    - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}\n"), {},
          { "      - NAME=p  # spec.containers[0].env[0].valueFrom.fieldRef (metadata.name)\n",
            "      - NS=ns  # spec.containers[0].env[1].valueFrom.fieldRef (metadata.namespace)\n",
            "      - {name: UID, value: {regex: \"" GEN_RE_UUID "\"}}",
            "      - SA=default  #" } },
        { "a label of the template is exact, an unknown one any value",
          "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: web}}\nspec:\n"
          "  enableServiceLinks: false\n  automountServiceAccountToken: false\n"
          "  containers:\n  - name: c\n    image: app@" DA "\n    env:\n"
          "    - {name: L, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['app']\"}}}\n"
          "    - {name: M, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['other']\"}}}\n", {},
          { "      - L=web  #", "      - {name: M, value: {regex: \"[\\\\s\\\\S]*\"}}",
            "# Warnings:\n#  - pod.yaml:12:" } },
        { "resourceFieldRef: ceil(limit / divisor), or any number without a limit",
          C1("    resources: {limits: {memory: 128Mi, cpu: 500m}}\n    env:\n"
             "    - {name: M, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}\n"
             "    - {name: C, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}\n"
             "    - {name: R, valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}}\n"
             "    - {name: E, valueFrom: {resourceFieldRef: {resource: limits.ephemeral-storage}}}\n"), {},
          { "      - M=128  #", "      - C=1  #", "      - R=500  #",
            "      - {name: E, value: {regex: \"[0-9]{1,20}\"}}" } },
        { "ConfigMap and Secret references; the Secret's values are not pinned",
          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: ns}\ndata: {k: v1, other: v2}\n---\n"
          "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\nstringData: {pw: hunter2}\n---\n"
          C1("    env:\n    - {name: K, valueFrom: {configMapKeyRef: {name: cm, key: k}}}\n"
             "    - {name: P, valueFrom: {secretKeyRef: {name: s, key: pw}}}\n"
             "    envFrom:\n    - {configMapRef: {name: cm}, prefix: CM_}\n    - secretRef: {name: s}\n"), {},
          { "      - K=v1  # spec.containers[0].env[0].valueFrom.configMapKeyRef\n",
            "      - {name: P, value: {regex: \"[\\\\s\\\\S]*\"}}  # spec.containers[0].env[1].valueFrom.secretKeyRef (value not pinned",
            "      - CM_k=v1  # spec.containers[0].envFrom[0].configMapRef (ConfigMap value)\n",
            "      - CM_other=v2", "      - {name: pw, value: {regex: \"[\\\\s\\\\S]*\"}}" },
          { "hunter2" } },
        { "an optional missing ConfigMap gives no variables",
          C1("    envFrom:\n    - {configMapRef: {name: gone, optional: true}}\n"), {},
          { "# Warnings:\n#  - pod.yaml:" } },
        /* --- working directory ------------------------------------------------------- */
        { "the image's WorkingDir", C1(""), {}, { "    cwd: /srv  # the image config's WorkingDir\n" } },
        { "workingDir replaces it", C1("    workingDir: /w\n"), {},
          { "    cwd: /w  # spec.containers[0].workingDir\n" } },
        { "no working directory at all",
          POD("  containers:\n  - name: c\n    image: plain@" DB "\n"), {},
          { "    cwd: /  # containerd's default\n" } },
        /* --- user and groups --------------------------------------------------------- */
        { "the image USER's uid, gid 0 (no /etc/passwd with guest pull)", C1(""), {},
          { "    user: {uid: 1000, gid: 0, additional_gids: []}  # the image config's User; gid 0" } },
        { "an image USER uid:gid loses its group (kubelet getImageUser)",
          POD("  containers:\n  - name: c\n    image: uidgid@" DD "\n"), {},
          { "    user: {uid: 1000, gid: 0, additional_gids: []}" } },
        { "runAsUser and runAsGroup, container over pod; supplementalGroups and fsGroup",
          C1P("  securityContext: {runAsUser: 5, runAsGroup: 6, supplementalGroups: [7, 8], fsGroup: 9}\n",
              "    securityContext: {runAsUser: 11}\n"), {},
          { "    user: {uid: 11, gid: 6, additional_gids: [7, 8, 9]}  # securityContext.runAsUser; gid from securityContext.runAsGroup; groups",
            "    user: {uid: 5, gid: 6, additional_gids: [7, 8, 9]}  # securityContext.runAsUser; gid from" } },
        { "the pause container keeps its image's whole USER", C1(""), {},
          { "    user: {uid: 65535, gid: 65535, additional_gids: []}  # settings containerd.sandbox_user" } },
        /* --- capabilities and privileges ------------------------------------------- */
        { "containerd's 14 defaults", C1(""), {},
          { "    capabilities: [CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW, "
            "CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, "
            "CAP_KILL, CAP_AUDIT_WRITE]  # containerd's defaults (settings" } },
        { "drop ALL, add one", C1("    securityContext: {capabilities: {drop: [ALL], add: [net_bind_service]}}\n"), {},
          { "    capabilities: [CAP_NET_BIND_SERVICE]  # containerd's defaults with" } },
        { "drop some", C1("    securityContext: {capabilities: {drop: [NET_RAW, MKNOD]}}\n"), {},
          { "    capabilities: [CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_SETGID, "
            "CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, "
            "CAP_AUDIT_WRITE]" } },
        { "add ALL then drop one", C1("    securityContext: {capabilities: {add: [ALL], drop: [SYS_ADMIN]}}\n"), {},
          { "CAP_SYS_PTRACE, CAP_SYS_PACCT, CAP_SYS_BOOT, CAP_SYS_NICE" },
          { "CAP_SYS_ADMIN" } },
        { "privileged: every capability, sysfs and cgroup rw, the kernel's cgroup options",
          C1("    securityContext: {privileged: true}\n"), {},
          { "    privileged: true  # spec.containers[0].securityContext.privileged\n",
            "{destination: /sys, source: sysfs, type: sysfs, options: [nosuid, noexec, nodev, rw]}",
            "{destination: /sys/fs/cgroup, source: cgroup, type: cgroup, options: [nosuid, noexec, nodev, relatime, rw], optional_options: [nsdelegate, memory_recursiveprot]}",
            "CAP_SYS_ADMIN", "  - name: pause\n    sandbox: true\n" } },
        { "allowPrivilegeEscalation false", C1("    securityContext: {allowPrivilegeEscalation: false}\n"), {},
          { "    no_new_privileges: true  # spec.containers[0].securityContext.allowPrivilegeEscalation\n" } },
        { "readOnlyRootFilesystem: hostname and resolv.conf ro",
          C1("    securityContext: {readOnlyRootFilesystem: true}\n"), {},
          { "    readonly_root: true  #",
            "{destination: /etc/hostname, source: {regex: \"/run/kata-containers/shared/containers/[0-9a-f]{64}-[0-9a-f]{16}-hostname\"}, type: bind, options: [rbind, rprivate, ro]}",
            "{destination: /etc/resolv.conf, source: {regex: \"/run/kata-containers/shared/containers/[0-9a-f]{64}-[0-9a-f]{16}-resolv\\\\.conf\"}, type: bind, options: [rbind, rprivate, ro]}",
            "{destination: /etc/hosts, source: {regex: \"/run/kata-containers/shared/containers/[0-9a-f]{64}-[0-9a-f]{16}-hosts\"}, type: bind, options: [rbind, rprivate, rw]}" } },
        { "tty: a terminal and its resizing", C1("    tty: true\n    stdin: true\n"), {},
          { "    terminal: true  #", "    streams: {stdout: deny, stderr: deny, stdin: allow, tty_resize: allow}",
            "  WriteStreamRequest: allow\n", "  TtyWinResizeRequest: allow\n" } },
        /* --- seccomp, sysctls, namespaces, AppArmor --------------------------------- */
        { "no seccomp in the guest (disable_guest_seccomp)",
          C1("    securityContext: {seccompProfile: {type: RuntimeDefault}}\n"), {},
          { "    seccomp: none  # settings kata.disable_guest_seccomp: the pod's seccompProfile RuntimeDefault is not applied" } },
        { "RuntimeDefault when the guest applies seccomp",
          C1("    securityContext: {seccompProfile: {type: RuntimeDefault}}\n"),
          { .settings = "kata: {disable_guest_seccomp: false}\n" },
          { "    seccomp: {default_action: SCMP_ACT_ERRNO}  # securityContext.seccompProfile: RuntimeDefault" } },
        { "the pod's sysctls go to the sandbox",
          C1P("  securityContext:\n    sysctls:\n    - {name: net.core.somaxconn, value: \"1024\"}\n"
              "    - {name: net.ipv4.ping_group_range, value: \"0 0\"}\n", ""), {},
          { "      net.ipv4.ip_unprivileged_port_start: \"0\"  # settings containerd.sandbox_sysctls\n"
            "      net.ipv4.ping_group_range: \"0 0\"  # spec.securityContext.sysctls[1]\n"
            "      net.core.somaxconn: \"1024\"  # spec.securityContext.sysctls[0]\n",
            "    sysctls: {}\n" } },
        { "namespaces: Go", C1(""), {}, { "    namespaces: [ipc, uts, mount]  # settings runtimes.go-shim.container_namespaces" } },
        { "namespaces: runtime-rs keeps the cgroup one", C1(""), { .runtime = "runtime-rs" },
          { "    namespaces: [ipc, uts, mount, cgroup]  # settings runtimes.runtime-rs.container_namespaces",
            "    namespaces: [ipc, uts, mount]  # settings runtimes.runtime-rs.sandbox_namespaces" } },
        { "AppArmor: the runtime's profile, by name", C1(""), {},
          { "    apparmor_profile: cri-containerd.apparmor.d  # settings containerd.apparmor_profile" } },
        { "no AppArmor on the node", C1(""), { .settings = "containerd: {apparmor_profile: \"\"}\n" }, {},
          { "apparmor_profile", "NOTE" } },
        /* --- volumes and mounts ---------------------------------------------------- */
        { "emptyDir as an encrypted disk",
          C1P("  volumes: [{name: v, emptyDir: {}}]\n", "    volumeMounts: [{name: v, mountPath: /v}]\n"), {},
          { "{destination: /v, source: {regex: \"/run/kata-containers/sandbox/storage/[A-Za-z0-9_-]+={0,2}\"}, type: bind, options: [rbind, rprivate, rw]}  # spec.containers[0].volumeMounts[0] (emptyDir volume v)",
            "    storages:\n      - {driver: scsi, source: {regex: \"[0-9]+:[0-9]+\"}, fstype: ext4, options: [], mount_point: {regex: \"/run/kata-containers/sandbox/storage/[A-Za-z0-9_-]+={0,2}\"}, driver_options: [encryption_key=ephemeral, create_filesystem], shared: true}" } },
        { "emptyDir as a plain disk",
          C1P("  volumes: [{name: v, emptyDir: {}}]\n", "    volumeMounts: [{name: v, mountPath: /v}]\n"),
          { .settings = "kata: {emptydir_mode: block-plain}\n" },
          { "fstype: ext4, options: [discard], mount_point: {regex: \"/run/kata-containers/sandbox/storage/[A-Za-z0-9_-]+={0,2}\"}, driver_options: [create_filesystem], shared: true}" } },
        { "emptyDir copied once (shared-fs, disable_guest_empty_dir)",
          C1P("  volumes: [{name: v, emptyDir: {}}]\n", "    volumeMounts: [{name: v, mountPath: /v, readOnly: true}]\n"),
          { .settings = "kata: {emptydir_mode: shared-fs}\n" },
          { "{destination: /v, source: {regex: \"/run/kata-containers/shared/containers/sandbox-[0-9a-f]{16}-v\"}, type: bind, options: [rbind, rprivate, ro]}",
            "  - id: \"copy:emptydir:v\"  # spec.containers[0].volumeMounts[0] (emptyDir volume v)\n"
            "    reason: kata copies the emptyDir v into the guest (shared_fs none)\n"
            "    path: {regex: \"/run/kata-containers/shared/containers/sandbox-[0-9a-f]{16}-v\"}\n"
            "    types: [directory]\n" } },
        { "emptyDir in the guest (shared-fs, guest-local) with fsGroup",
          C1P("  securityContext: {fsGroup: 7}\n  volumes: [{name: v, emptyDir: {}}]\n",
              "    volumeMounts: [{name: v, mountPath: /v}]\n"),
          { .settings = "kata: {emptydir_mode: shared-fs, disable_guest_empty_dir: false}\n" },
          { "{driver: local, source: local, fstype: local, options: [mode=0777, fsgid=7], mount_point: {regex: \"/run/kata-containers/shared/containers/[0-9a-f]{64}/rootfs/local/v\"}, driver_options: []}" } },
        { "emptyDir in memory",
          C1P("  securityContext: {fsGroup: 7}\n  volumes: [{name: m, emptyDir: {medium: Memory}}]\n",
              "    volumeMounts: [{name: m, mountPath: /dev/shm}]\n"), {},
          { "{destination: /dev/shm, source: /run/kata-containers/sandbox/ephemeral/m, type: bind, options: [rbind, rprivate, rw]}",
            "{driver: ephemeral, source: tmpfs, fstype: tmpfs, options: [fsgid=7], mount_point: /run/kata-containers/sandbox/ephemeral/m, driver_options: []}" },
          { "source: /run/kata-containers/sandbox/shm, type: bind, options: [rbind]}  # kata: the sandbox's shm (kata_agent.go handleShm)\n    sysctls: {}" } },
        { "configMap: read-only whatever the pod says, copied as a tree",
          C1P("  volumes: [{name: cfg, configMap: {name: x}}]\n", "    volumeMounts: [{name: cfg, mountPath: /etc/app/}]\n"), {},
          { "{destination: /etc/app, source: {regex: \"/run/kata-containers/shared/containers/[0-9a-f]{64}-[0-9a-f]{16}-app\"}, type: bind, options: [rbind, rprivate, ro]}",
            "  - id: \"copy:cfg\"  # spec.containers[0].volumeMounts[0] (configMap volume cfg)\n"
            "    reason: kata copies the configMap volume cfg at /etc/app into the guest (shared_fs none)\n"
            "    path: {regex: \"/run/kata-containers/shared/containers/[0-9a-f]{64}-[0-9a-f]{16}-app\"}\n"
            "    types: [directory]\n",
            "  - id: \"copy:cfg/tree\"", "    path: {regex: \"/run/kata-containers/shared/containers/[0-9a-f]{64}-[0-9a-f]{16}-app/.+\"}\n"
            "    types: [file, directory, symlink]\n" } },
        { "a subPath of a secret is one file",
          C1P("  volumes: [{name: s, secret: {secretName: x}}]\n",
              "    volumeMounts: [{name: s, mountPath: /etc/tls.key, subPath: tls.key}]\n"), {},
          { "    path: {regex: \"/run/kata-containers/shared/containers/[0-9a-f]{64}-[0-9a-f]{16}-tls\\\\.key\"}\n    types: [file]\n" },
          { "tls\\\\.key/.+" } },
        { "projected and downwardAPI volumes",
          C1P("  volumes:\n  - {name: pr, projected: {sources: []}}\n  - {name: dw, downwardAPI: {items: []}}\n",
              "    volumeMounts: [{name: pr, mountPath: /p, readOnly: false}, {name: dw, mountPath: /d}]\n"), {},
          { "(projected volume pr)", "(downwardAPI volume dw)", "-p\"}, type: bind, options: [rbind, rprivate, ro]}",
            "-d\"}, type: bind, options: [rbind, rprivate, ro]}" } },
        { "the service account token (automountServiceAccountToken)",
          "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  enableServiceLinks: false\n"
          "  containers:\n  - name: c\n    image: app@" DA "\n", {},
          { "{destination: /var/run/secrets/kubernetes.io/serviceaccount, source: {regex: \"/run/kata-containers/shared/containers/[0-9a-f]{64}-[0-9a-f]{16}-serviceaccount\"}, type: bind, options: [rbind, rprivate, ro]}",
            "  - id: \"copy:kube-api-access\"", "  - id: \"copy:kube-api-access/tree\"" } },
        { "a ServiceAccount that does not automount",
          "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default}\nautomountServiceAccountToken: false\n---\n"
          "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  enableServiceLinks: false\n"
          "  containers:\n  - name: c\n    image: app@" DA "\n", {}, {}, { "serviceaccount" } },
        { "the image's VOLUMEs: copied empty directories",
          POD("  containers:\n  - name: c\n    image: quay.io/x/vol:2@" DE "\n"), {},
          { "{destination: /data, source: {regex: \"/run/kata-containers/shared/containers/[0-9a-f]{64}-[0-9a-f]{16}-data\"}, type: bind, options: [rbind, rprivate, rw]}  # the image config's Volumes /data (containerd)",
            "{destination: /var/cache, source:",
            "  - id: \"copy:image-volume:data\"  # the image config's Volumes /data\n"
            "    reason: kata copies the image's VOLUME /data (an empty directory) into the guest (shared_fs none)\n" } },
        { "a volume over an image VOLUME replaces it",
          "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  enableServiceLinks: false\n"
          "  automountServiceAccountToken: false\n  volumes: [{name: v, emptyDir: {}}]\n"
          "  containers:\n  - name: c\n    image: quay.io/x/vol:2@" DE "\n    volumeMounts: [{name: v, mountPath: /data}]\n", {},
          { "{destination: /data, source: {regex: \"/run/kata-containers/sandbox/storage/" }, { "copy:image-volume:data" } },
        { "hostPath with --allow-host-path: copied",
          C1P("  volumes: [{name: h, hostPath: {path: /srv, type: Directory}}]\n",
              "    volumeMounts: [{name: h, mountPath: /srv}]\n"), { .host_path = true },
          { "(hostPath volume h)", "  - id: \"copy:h\"", "  - id: \"copy:h/tree\"" } },
        { "a custom termination log path",
          C1("    terminationMessagePath: /tmp/done\n    terminationMessagePolicy: FallbackToLogsOnError\n"), {},
          { "{destination: /tmp/done, source: {regex: \"/run/kata-containers/shared/containers/[0-9a-f]{64}-[0-9a-f]{16}-done\"}",
            "(?:hosts|done|hostname|resolv\\\\.conf)",
            "      io.kubernetes.container.terminationMessagePolicy: FallbackToLogsOnError  #",
            "    id: no-diagnostics\n" } },
        /* --- exec entries and streams ---------------------------------------------- */
        { "exec probes and hooks; the Go shim's exec has no NoNewPrivileges",
          C1("    securityContext: {allowPrivilegeEscalation: false}\n    env: [{name: F, value: /f}]\n"
             "    livenessProbe: {exec: {command: [cat, \"$(F)\"]}}\n"
             "    readinessProbe: {httpGet: {path: /, port: 80}}\n"
             "    startupProbe: {exec: {command: [\"true\"]}}\n"
             "    lifecycle:\n      preStop: {exec: {command: [stop, \"$(F)\"]}}\n"), {},
          { "      - id: c.liveness  # spec.containers[0].livenessProbe.exec.command\n"
            "        reason: kubelet's exec livenessProbe\n        argv:\n          - cat\n          - /f\n"
            "        no_new_privileges: false  # the Go shim",
            "      - id: c.startup  #", "          - \"true\"\n",
            "      - id: c.pre-stop  # spec.containers[0].lifecycle.preStop.exec.command\n"
            "        reason: kubelet's preStop hook\n        argv:\n          - stop\n          - \"$(F)\"\n",
            "        streams: {stdout: allow, stderr: allow, stdin: allow, tty_resize: deny}",
            "  ExecProcessRequest: allow\n" },
          { "c.readiness" } },
        { "runtime-rs keeps NoNewPrivileges for exec'd processes",
          C1("    securityContext: {allowPrivilegeEscalation: false}\n    livenessProbe: {exec: {command: [x]}}\n"),
          { .runtime = "runtime-rs" }, { "      - id: c.liveness" }, { "no_new_privileges: false" } },
        { "probes see only plain variables (ExpandContainerCommandOnlyStatic)",
          C1("    env: [{name: NM, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]\n"
             "    livenessProbe: {exec: {command: [\"x$(NM)y\"]}}\n"), {},
          { "        argv:\n          - xy\n" } },
        { "a 63-character name keeps its rule ids within 64",
          POD("  containers:\n  - name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
              "    image: app@" DA "\n    livenessProbe: {exec: {command: [a]}}\n"
              "    readinessProbe: {exec: {command: [b]}}\n"), {},
          { "      - id: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:0.liveness\"  #",
            "      - id: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1.readiness\"  #" } },
        { "no exec: ExecProcess denied",
          C1(""), {}, { "    exec: []  # no exec probes, hooks or --allow-exec", "    id: no-exec\n" } },
        { "--allow-exec", C1(""),
          { .exec_container = "c", .exec_argv = (const char *const[]){ "/bin/sh", "-c", "ls" }, .exec_argc = 3 },
          { "      - id: c.allow-exec.1  # --allow-exec c\n        reason: the tenant allows this command (kubectl exec)\n"
            "        argv:\n          - /bin/sh\n          - -c\n          - ls\n",
            "  WriteStreamRequest: allow\n" } },
        { "--logs allow", C1(""), { .logs = true },
          { "    streams: {stdout: allow, stderr: allow, stdin: deny, tty_resize: deny}  # --logs allow\n" } },
        { "--logs deny", C1(""), {},
          { "    streams: {stdout: deny, stderr: deny, stdin: deny, tty_resize: deny}  # --logs deny\n" } },
        { "--logs-from one container: the other's reads drained",
          POD("  containers:\n  - name: c\n    image: app@" DA "\n  - name: d\n    image: app@" DA "\n"),
          { .logs_from = "d" },
          { "    streams: {stdout: deny, stderr: deny, stdin: deny, tty_resize: deny}  # --logs deny\n",
            "    streams: {stdout: allow, stderr: allow, stdin: deny, tty_resize: deny}  # --logs-from d\n" } },
        { "resizePolicy allows UpdateContainer without devices",
          C1("    resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]\n"), {},
          { "    id: resize\n", "      resources.Devices.Allow: \"false\"  # resizePolicy\n" } },
        /* --- workloads and names ---------------------------------------------------- */
        { "a Deployment's pods: generated names",
          "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod}\nspec:\n  template:\n"
          "    metadata: {labels: {app: web}}\n    spec:\n      enableServiceLinks: false\n"
          "      automountServiceAccountToken: false\n      containers:\n      - name: c\n        image: app@" DA "\n", {},
          { "  hostname: {regex: \"web-[bcdfghjklmnpqrstvwxz2456789]{1,10}-[bcdfghjklmnpqrstvwxz2456789]{5}\"}",
            "      - {name: HOSTNAME, value: {regex: \"web-[bcdfghjklmnpqrstvwxz2456789]{1,10}-",
            "      io.kubernetes.cri.sandbox-namespace: prod  #",
            "search prod\\\\.svc\\\\.cluster\\\\.local", "spec.template.spec.containers[0]" } },
        { "a StatefulSet's ordinal names",
          "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  template:\n    spec:\n"
          "      enableServiceLinks: false\n      automountServiceAccountToken: false\n"
          "      containers:\n      - name: c\n        image: app@" DA "\n", {},
          { "  hostname: {regex: \"db-(?:0|[1-9][0-9]{0,8})\"}" } },
        { "a CronJob's pods",
          "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  schedule: \"@daily\"\n"
          "  jobTemplate:\n    spec:\n      template:\n        spec:\n          enableServiceLinks: false\n"
          "          automountServiceAccountToken: false\n          restartPolicy: Never\n"
          "          containers:\n          - name: c\n            image: app@" DA "\n", {},
          { "nightly-[0-9]{1,12}-(?:[0-9]{1,9}-)?[bcdfghjklmnpqrstvwxz2456789]{5}",
            "spec.jobTemplate.spec.template.spec.containers[0]" } },
        { "a Pod's generateName",
          "apiVersion: v1\nkind: Pod\nmetadata: {generateName: job-}\nspec:\n  enableServiceLinks: false\n"
          "  automountServiceAccountToken: false\n  containers:\n  - name: c\n    image: app@" DA "\n", {},
          { "  hostname: {regex: \"job-[bcdfghjklmnpqrstvwxz2456789]{5}\"}" } },
        { "--workload picks one of several",
          C1("") "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n  template:\n"
          "    spec:\n      enableServiceLinks: false\n      containers:\n      - name: d\n        image: plain@" DB "\n",
          { .workload = "DaemonSet/agent" },
          { "agent-[bcdfghjklmnpqrstvwxz2456789]{5}", "  - name: d\n" }, { "  - name: c\n" } },
        { "spec.hostname and setHostnameAsFQDN",
          C1P("  hostname: h\n  subdomain: s\n  setHostnameAsFQDN: true\n", ""), {},
          { "  hostname: h.s.ns.svc.cluster.local  #" } },
        { "a kubectl List", "apiVersion: v1\nkind: List\nitems:\n- " "apiVersion: v1\n  kind: Pod\n  metadata: {name: l}\n"
          "  spec:\n    enableServiceLinks: false\n    automountServiceAccountToken: false\n"
          "    containers: [{name: c, image: \"app@" DA "\"}]\n", {}, { "  hostname: l  #" } },
        /* --- annotations, SetPolicy ------------------------------------------------- */
        { "the pod's io.katacontainers annotations reach every container",
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    io.katacontainers.config.x: \"1\"\n"
          "    other: z\nspec:\n  enableServiceLinks: false\n  automountServiceAccountToken: false\n"
          "  containers:\n  - name: c\n    image: app@" DA "\n", {},
          { "      io.katacontainers.config.x: \"1\"  # metadata.annotations (settings kata.pod_annotations)\n",
            "      io.kubernetes.cri.image-name: \"app@" DA "\"  # spec.containers[0].image" },
          { "      other:" } },
        { "the agent policy annotation: SetPolicy pinned to it (Go)",
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
          "    io.katacontainers.config.agent.policy: cGFja2FnZSBhZ2VudF9wb2xpY3kK\nspec:\n"
          "  enableServiceLinks: false\n  automountServiceAccountToken: false\n"
          "  containers:\n  - name: c\n    image: app@" DA "\n", {},
          { "    id: agent-policy\n", "      policy: \"package agent_policy\\n\"  # metadata.annotations" },
          { "io.katacontainers.config.agent.policy: cGFj" } },
        { "the agent policy annotation: passed on by runtime-rs, no SetPolicy",
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
          "    io.katacontainers.config.agent.policy: cGFja2FnZSBhZ2VudF9wb2xpY3kK\nspec:\n"
          "  enableServiceLinks: false\n  automountServiceAccountToken: false\n"
          "  containers:\n  - name: c\n    image: app@" DA "\n", { .runtime = "runtime-rs" },
          { "    id: no-policy-swap\n", "      io.katacontainers.config.agent.policy: cGFja2FnZSBhZ2VudF9wb2xpY3kK  #" } },
        /* --- the sandbox, the network, DNS ------------------------------------------- */
        { "the sandbox request", C1(""), {},
          { "  hostname: p  # kubelet: spec.hostname or the pod's name (metadata.name)\n"
            "  sandbox_pidns: false  #",
            "    - {regex: \"(?:search ns\\\\.svc\\\\.cluster\\\\.local svc\\\\.cluster\\\\.local cluster\\\\.local(?: [A-Za-z0-9_.-]{1,253}){0,32})|nameserver 10\\\\.96\\\\.0\\\\.10|options ndots:5|\"}",
            "  storages:  # settings kata.shm_storage (the only sandbox storage)\n"
            "    - {driver: ephemeral, source: shm, fstype: tmpfs, options: [noexec, nosuid, nodev, "
            "mode=1777, size=67108864], mount_point: /run/kata-containers/sandbox/shm}\n",
            "      hw_addr: {from_ipv4: \"0a:58\"}  #", "      addresses:\n        - family:" } },
        { "shareProcessNamespace", C1P("  shareProcessNamespace: true\n", ""), {},
          { "  sandbox_pidns: true  # spec.shareProcessNamespace" } },
        { "dnsConfig and dnsPolicy None",
          C1P("  dnsPolicy: None\n  dnsConfig:\n    nameservers: [1.1.1.1]\n    searches: [a.example]\n"
              "    options: [{name: ndots, value: \"2\"}, {name: edns0}]\n", ""), {},
          { "    - {regex: \"(?:search a\\\\.example)|nameserver 1\\\\.1\\\\.1\\\\.1|options ndots:2 edns0|\"}" } },
        { "the pod network from the settings",
          C1(""), { .settings = "cluster: {pod_cidrs: [192.168.0.0/22], ipv6_link_local: false}\n" },
          { "          address: {regex: \"192\\\\.168\\\\.[0-3]\\\\.(?:[0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\"}",
            "        - family: v4  #", "      family: v4  #" },
          { "fe80", "family: v6", "::/0" } },
        { "a CNI that picks MACs at random",
          C1(""), { .settings = "network: {mac_from_ipv4: \"\"}\n" },
          { "      hw_addr: {regex: \"[0-9a-f][02468ace](?::[0-9a-f]{2}){5}\"}  #",
            /* Without the derived MAC, the IPv6 gateway may be a neighbour too. */
            "      family: v6  # one entry per family of cluster.pod_cidrs (IPv4 only" },
          { "{from_ipv4" } },
};

static void test_cases(void **state)
{
        unsigned failures = 0;

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct gen_case *t = &cases[i];
                struct policy_error err = { 0 };
                char msg[1024];
                char *p = generate(t->yaml, &t->opt, &err);

                if (!p) {
                        policy_error_format(&err, msg, sizeof(msg));
                        print_error("case \"%s\": %s\n", t->name, msg);
                        failures++;
                        continue;
                }
                for (size_t k = 0; k < ELEMENTSOF(t->want) && t->want[k]; k++)
                        if (!strstr(p, t->want[k])) {
                                print_error("case \"%s\": missing\n%s\n--- in ---\n%s\n", t->name,
                                            t->want[k], getenv("GEN_TEST_VERBOSE") ? p : "(GEN_TEST_VERBOSE=1 prints it)");
                                failures++;
                        }
                for (size_t k = 0; k < ELEMENTSOF(t->unwant) && t->unwant[k]; k++)
                        if (strstr(p, t->unwant[k])) {
                                print_error("case \"%s\": must not have\n%s\n", t->name, t->unwant[k]);
                                failures++;
                        }
                free(p);
        }
        assert_int_equal(failures, 0);
}

struct error_case {
        const char *name;
        const char *yaml;
        struct options opt;
        const char *error; /* policy_error_format() of it, exactly */
};

static const struct error_case errors[] = {
        { "an unknown container field", C1("    imagePolicy: x\n"), {},
          "pod.yaml:12:5: spec.containers[0].imagePolicy: unknown field; the generator refuses what it "
          "does not know, as it may change what the runtime sends" },
        { "a refused container field", C1("    volumeDevices: [{name: d, devicePath: /dev/x}]\n"), {},
          "pod.yaml:12:5: spec.containers[0].volumeDevices: raw block devices are not generated" },
        { "hostPath without --allow-host-path",
          C1P("  volumes:\n  - name: h\n    hostPath: {path: /}\n", ""), {},
          "pod.yaml:11:15: spec.volumes[0].hostPath: a hostPath volume gives the container files the "
          "host chooses; refused unless --allow-host-path" },
        { "an image by tag only", POD("  containers:\n  - name: c\n    image: app:1\n"), {},
          "pod.yaml:11:12: spec.containers[0].image: \"app:1\" names a tag, and the guest pulls the "
          "string the pod gives; pin it in the pod: \"app:1@" DA "\" (from images.json)" },
        { "an image no source has", POD("  containers:\n  - name: c\n    image: app:2\n"), {},
          "pod.yaml:11:12: spec.containers[0].image: \"app:2\": no image given with --images is "
          "docker.io/library/app:2" },
        { "a digest under another name", POD("  containers:\n  - name: c\n    image: other@" DA "\n"), {},
          "pod.yaml:11:12: spec.containers[0].image: \"other@" DA "\": docker.io/library/app (from "
          "images.json) has this digest, not docker.io/library/other" },
        { "a bad reference", POD("  containers:\n  - name: c\n    image: App@" DA "\n"), {},
          "pod.yaml:11:12: spec.containers[0].image: \"App@" DA "\": a name component must be "
          "lower-case letters and digits, joined by . _ or -" },
        { "a ConfigMap not in the input", C1("    envFrom: [{configMapRef: {name: cm}}]\n"), {},
          "pod.yaml:12:37: spec.containers[0].envFrom[0].configMapRef: the ConfigMap ns/cm is not in the "
          "input; give its YAML too (the policy needs its keys and values)" },
        { "a key the ConfigMap lacks",
          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: ns}\ndata: {a: b}\n---\n"
          C1("    env: [{name: X, valueFrom: {configMapKeyRef: {name: cm, key: nope}}}]\n"), {},
          "pod.yaml:17:66: spec.containers[0].env[0].valueFrom.configMapKeyRef.key: cm has no key nope" },
        { "hostNetwork", C1P("  hostNetwork: true\n", ""), {},
          "pod.yaml:9:16: spec.hostNetwork: a confidential pod cannot share the node's namespaces (kata "
          "runs it in its own VM)" },
        { "Bidirectional mount propagation",
          C1P("  volumes: [{name: v, emptyDir: {}}]\n",
              "    volumeMounts: [{name: v, mountPath: /v, mountPropagation: Bidirectional}]\n"), {},
          "pod.yaml:13:63: spec.containers[0].volumeMounts[0].mountPropagation: Bidirectional "
          "propagation sets the container's rootfs propagation, which the policy language refuses" },
        { "subPathExpr", C1P("  volumes: [{name: v, emptyDir: {}}]\n",
                             "    volumeMounts: [{name: v, mountPath: /v, subPathExpr: $(X)}]\n"), {},
          "pod.yaml:13:45: spec.containers[0].volumeMounts[0].subPathExpr: subPathExpr depends on "
          "variables at run time: not generated" },
        { "a mount of no volume", C1("    volumeMounts: [{name: v, mountPath: /v}]\n"), {},
          "pod.yaml:12:27: spec.containers[0].volumeMounts[0].name: the pod has no volume named v" },
        { "ephemeral containers", C1P("  ephemeralContainers: []\n", ""), {},
          "pod.yaml:9:3: spec.ephemeralContainers: ephemeral containers (kubectl debug) run what the "
          "host chooses: not generated" },
        { "a persistent volume", C1P("  volumes: [{name: v, persistentVolumeClaim: {claimName: x}}]\n", ""), {},
          "pod.yaml:9:23: spec.volumes[0].persistentVolumeClaim: this kind of volume is not generated "
          "(emptyDir, configMap, secret, projected, downwardAPI and hostPath are)" },
        { "an image USER name", POD("  containers:\n  - name: c\n    image: named@" DC "\n"), {},
          "pod.yaml:11:12: spec.containers[0].image: the image's USER is \"nginx\", a name: with guest pull the "
          "node has no /etc/passwd to resolve it (genpolicy refuses it too); set "
          "securityContext.runAsUser and runAsGroup" },
        { "runAsNonRoot as root", C1("    securityContext: {runAsUser: 0, runAsNonRoot: true}\n"), {},
          "pod.yaml:12:51: spec.containers[0]: runAsNonRoot, but the container runs as uid 0; kubelet "
          "would not start it" },
        { "capabilities with CAP_", C1("    securityContext: {capabilities: {add: [CAP_NET_ADMIN]}}\n"), {},
          "pod.yaml:12:44: spec.containers[0].securityContext.capabilities: write CAP_NET_ADMIN without "
          "CAP_ (containerd adds it)" },
        { "SELinux options", C1("    securityContext: {seLinuxOptions: {level: s0}}\n"), {},
          "pod.yaml:12:23: spec.containers[0].securityContext.seLinuxOptions: containerd would give the "
          "process an SELinux label, which the policy refuses" },
        { "a device plugin's resource", C1("    resources: {limits: {nvidia.com/gpu: 1}}\n"), {},
          "pod.yaml:12:26: spec.containers[0].resources.limits.nvidia.com/gpu: a device plugin's resource "
          "brings devices the generator cannot know; not generated" },
        { "an env var from a file", C1("    env: [{name: X, valueFrom: {fileKeyRef: {path: a}}}]\n"), {},
          "pod.yaml:12:32: spec.containers[0].env[0].valueFrom: only fieldRef, resourceFieldRef, "
          "configMapKeyRef and secretKeyRef are generated" },
        { "a number where a string goes", C1("    args: [--port, 80]\n"), {},
          "pod.yaml:12:20: spec.containers[0].args[1]: expected a string, found a number or boolean "
          "(quote it)" },
        { "two workloads", C1("") "---\napiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec: {}\n", {},
          "pod.yaml: the input has 2 workloads, Pod/p (pod.yaml:1), Pod/q (pod.yaml:13): one policy is "
          "one pod; choose with --workload NAME" },
        { "no workload", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", {},
          "pod.yaml: no workload in the input (a Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, "
          "Job or CronJob)" },
        { "--workload of nothing", C1(""), { .workload = "nope" },
          ": --workload nope: no such workload; the input has Pod/p (pod.yaml:1)" },
        { "a long Deployment name",
          "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}\n"
          "spec: {template: {spec: {containers: []}}}\n", {},
          "pod.yaml:3:18: metadata.name: a Deployment name longer than 46 characters makes pod names "
          "Kubernetes truncates; not generated" },
        { "YAML anchors", C1("    args: &a [x]\n"), {}, "pod.yaml:12:11: YAML anchors are not supported" },
        { "a duplicate key", C1("    args: [x]\n    args: [y]\n"), {},
          "pod.yaml:13:5: duplicate key \"args\" (first at line 12)" },
        { "the agent policy annotation with a character outside base64",
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
          "    io.katacontainers.config.agent.policy: \"cGFj$2FnZQ==\"\nspec:\n"
          "  enableServiceLinks: false\n  automountServiceAccountToken: false\n"
          "  containers:\n  - name: c\n    image: app@" DA "\n", {},
          "pod.yaml:6:44: the agent policy annotation is not base64" },
        { "the agent policy annotation with padding inside",
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
          "    io.katacontainers.config.agent.policy: \"cGE=cGFj\"\nspec:\n"
          "  enableServiceLinks: false\n  automountServiceAccountToken: false\n"
          "  containers:\n  - name: c\n    image: app@" DA "\n", {},
          "pod.yaml:6:44: the agent policy annotation is not base64" },
        { "the agent policy annotation without its padding",
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
          "    io.katacontainers.config.agent.policy: \"cGFja2FnZQ\"\nspec:\n"
          "  enableServiceLinks: false\n  automountServiceAccountToken: false\n"
          "  containers:\n  - name: c\n    image: app@" DA "\n", {},
          "pod.yaml:6:44: the agent policy annotation is not base64" },
        { "the agent policy annotation decoding to a NUL byte",
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
          "    io.katacontainers.config.agent.policy: \"cGEAYg==\"\nspec:\n"
          "  enableServiceLinks: false\n  automountServiceAccountToken: false\n"
          "  containers:\n  - name: c\n    image: app@" DA "\n", {},
          "pod.yaml:6:44: the agent policy annotation is not text" },
        { "a container name Kubernetes refuses", POD("  containers:\n  - name: My_App\n    image: app@" DA "\n"), {},
          "pod.yaml:10:11: spec.containers[0].name: \"My_App\" is not a DNS label (1-63 of a-z, 0-9 "
          "and -), which Kubernetes requires" },
        { "a container name twice", C1("  - name: c\n    image: app@" DA "\n"), {},
          "pod.yaml:12:11: spec.containers[1].name: a second container named c" },
        { "--allow-exec of no container", C1(""), { .exec_container = "x",
          .exec_argv = (const char *const[]){ "ls" }, .exec_argc = 1 },
          "pod.yaml: --allow-exec x: the pod has no such container" },
        { "--logs-from of no container", C1(""), { .logs_from = "x" },
          "pod.yaml: --logs-from x: the pod has no such container" },
        { "an unknown setting", C1(""), { .settings = "kata: {shared_fss: none}\n" },
          "settings.yaml:1:8: unknown setting \"kata.shared_fss\"" },
        { "a shared filesystem", C1(""), { .settings = "kata: {shared_fs: virtio-fs}\n" },
          "settings.yaml: kata.shared_fs: only \"none\" (Confidential Containers: files are copied) is "
          "generated, not \"virtio-fs\"" },
        { "a bad pod network setting", C1(""), { .settings = "cluster: {pod_cidrs: [10.0.0.0]}\n" },
          "settings.yaml: cluster.pod_cidrs: \"10.0.0.0\": not an IPv4 or IPv6 prefix (ADDRESS/LENGTH)" },
        { "an unknown runtime", C1(""), { .runtime = "crun" },
          ": --runtime: expected go-shim or runtime-rs, not \"crun\"" },
};

static void test_errors(void **state)
{
        unsigned failures = 0;

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(errors); i++) {
                const struct error_case *t = &errors[i];
                struct policy_error err = { 0 };
                char msg[1024];
                char *p = generate(t->yaml, &t->opt, &err);

                if (p) {
                        print_error("error case \"%s\": generated a policy\n", t->name);
                        free(p);
                        failures++;
                        continue;
                }
                policy_error_format(&err, msg, sizeof(msg));
                if (strcmp(msg, t->error) != 0) {
                        print_error("error case \"%s\":\n  got  %s\n  want %s\n", t->name, msg, t->error);
                        failures++;
                }
        }
        assert_int_equal(failures, 0);
}

/* Every number in [0, top] matches the range regex exactly when it is in [lo, hi]. */
static void check_range(uint64_t lo, uint64_t hi, unsigned base, uint64_t top)
{
        struct pool pool = { 0 };
        char *re = gen_range_regex(&pool, lo, hi, base), anchored[4200], num[32];
        pcre2_code *code;
        pcre2_match_data *md;
        int e;
        PCRE2_SIZE off;

        assert_non_null(re);
        snprintf(anchored, sizeof(anchored), "^(?:%s)$", re);
        code = pcre2_compile((PCRE2_SPTR)anchored, PCRE2_ZERO_TERMINATED, 0, &e, &off, NULL);
        assert_non_null(code);
        md = pcre2_match_data_create_from_pattern(code, NULL);
        for (uint64_t v = 0; v <= top; v++) {
                bool in = v >= lo && v <= hi;
                int r;
                snprintf(num, sizeof(num), base == 16 ? "%llx" : "%llu", (unsigned long long)v);
                r = pcre2_match(code, (PCRE2_SPTR)num, strlen(num), 0, 0, md, NULL);
                if ((r > 0) != in)
                        fail_msg("range [%llu, %llu] base %u: %s %s by %s", (unsigned long long)lo,
                                 (unsigned long long)hi, base, num, r > 0 ? "matched" : "not matched", re);
        }
        /* Leading zeros are never how the runtimes write a number. */
        if (lo == 0 && hi >= 1)
                assert_true(pcre2_match(code, (PCRE2_SPTR) "01", 2, 0, 0, md, NULL) < 0);
        pcre2_match_data_free(md);
        pcre2_code_free(code);
        pool_done(&pool);
}

static void test_ranges(void **state)
{
        static const uint64_t spans[][2] = {
                { 0, 0 }, { 0, 9 }, { 0, 255 }, { 7, 7 }, { 10, 19 }, { 96, 111 }, { 150, 399 },
                { 1, 1999 }, { 1280, 65535 }, { 99, 1000 }, { 0, 65535 }, { 4096, 4351 },
        };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(spans); i++) {
                check_range(spans[i][0], spans[i][1], 10, spans[i][1] + 2000);
                check_range(spans[i][0], spans[i][1], 16, spans[i][1] + 0x1000);
        }
}

static bool cidr_matches(const char *cidr, const char *addr)
{
        struct pool pool = { 0 };
        char *re, anchored[4200];
        const char *why;
        pcre2_code *code;
        pcre2_match_data *md;
        int e, r;
        PCRE2_SIZE off;

        assert_int_equal(gen_cidr_regex(&pool, cidr, &re, &why), 0);
        snprintf(anchored, sizeof(anchored), "^(?:%s)$", re);
        code = pcre2_compile((PCRE2_SPTR)anchored, PCRE2_ZERO_TERMINATED, 0, &e, &off, NULL);
        assert_non_null(code);
        md = pcre2_match_data_create_from_pattern(code, NULL);
        r = pcre2_match(code, (PCRE2_SPTR)addr, strlen(addr), 0, 0, md, NULL);
        pcre2_match_data_free(md);
        pcre2_code_free(code);
        pool_done(&pool);
        return r > 0;
}

static void test_cidrs(void **state)
{
        static const struct {
                const char *cidr, *addr;
                bool in;
        } t[] = {
                { "10.244.0.0/16", "10.244.1.7", true },     { "10.244.0.0/16", "10.245.1.7", false },
                { "10.244.0.0/16", "10.244.256.1", false },  { "10.96.0.0/12", "10.111.255.255", true },
                { "10.96.0.0/12", "10.112.0.1", false },     { "192.168.4.0/22", "192.168.7.9", true },
                { "192.168.4.0/22", "192.168.8.9", false },  { "0.0.0.0/0", "1.2.3.4", true },
                { "fd00:10:244::/56", "fd00:10:244:1::7", true },
                { "fd00:10:244::/56", "fd00:10:244::7", true },
                { "fd00:10:244::/56", "fd00:10:244:100::7", false },
                { "fd00:10:244::/56", "fd00:10:245:1::7", false },
                { "fd00:10:244::/56", "fd00:10:244:1:2:3:4:5", true },
                { "2001:db8:1:2::/64", "2001:db8:1:2::1", true },
                { "2001:db8:1:2::/64", "2001:db8:1:3::1", false },
                { "2001:db8:1:2::/64", "2001:db8:1::1", false },
        };
        struct pool pool = { 0 };
        const char *why;
        char *re;

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (cidr_matches(t[i].cidr, t[i].addr) != t[i].in)
                        fail_msg("%s %s %s", t[i].addr, t[i].in ? "not in" : "in", t[i].cidr);
        /* A zero group inside the prefix could be folded into "::": refused. */
        assert_int_equal(gen_cidr_regex(&pool, "2001:db8:0:1::/64", &re, &why), -EINVAL);
        assert_int_equal(gen_cidr_regex(&pool, "10.0.0.0/33", &re, &why), -EINVAL);
        pool_done(&pool);
}

static void test_quantities(void **state)
{
        static const struct {
                const char *q, *d;
                uint64_t want;
        } t[] = {
                { "128Mi", "1Mi", 128 }, { "128Mi", "1", 134217728 }, { "500m", "1", 1 },
                { "500m", "1m", 500 },   { "1.5", "1m", 1500 },       { "1e3", "1", 1000 },
                { "2", "3", 1 },         { "1G", "1M", 1000 },        { "100Ki", "1k", 103 },
                { "1E", "1P", 1000 },
        };
        uint64_t v;

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                assert_int_equal(gen_quantity_ceil(t[i].q, t[i].d, &v), 0);
                if (v != t[i].want)
                        fail_msg("%s / %s = %llu, want %llu", t[i].q, t[i].d, (unsigned long long)v,
                                 (unsigned long long)t[i].want);
        }
        assert_int_equal(gen_quantity_ceil("1x", "1", &v), -EINVAL);
        assert_int_equal(gen_quantity_ceil("1", "0", &v), -EINVAL);
}

static void test_refs(void **state)
{
        static const struct {
                const char *s, *name, *tag;
                bool digest;
        } t[] = {
                { "redis", "docker.io/library/redis", NULL, false },
                { "redis:7.4.2@" DA, "docker.io/library/redis", "7.4.2", true },
                { "nginxinc/nginx-unprivileged@" DA, "docker.io/nginxinc/nginx-unprivileged", NULL, true },
                { "index.docker.io/library/busybox:1", "docker.io/library/busybox", "1", false },
                { "localhost:5000/a/b:c", "localhost:5000/a/b", "c", false },
                { "registry.k8s.io/pause:3.10.2", "registry.k8s.io/pause", "3.10.2", false },
        };
        struct pool pool = { 0 };
        struct gen_ref r;
        const char *why;

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                assert_int_equal(gen_ref_parse(&pool, t[i].s, &r, &why), 0);
                assert_string_equal(r.name, t[i].name);
                if (t[i].tag)
                        assert_string_equal(r.tag, t[i].tag);
                else
                        assert_null(r.tag);
                assert_int_equal(r.digest != NULL, t[i].digest);
        }
        assert_int_equal(gen_ref_parse(&pool, "redis@sha256:abc", &r, &why), -EINVAL);
        assert_int_equal(gen_ref_parse(&pool, "Redis", &r, &why), -EINVAL);
        assert_int_equal(gen_ref_parse(&pool, "a b", &r, &why), -EINVAL);
        pool_done(&pool);
}

/* The initdata document reads back with ccgate's own reader as the exact policy. */
static void test_initdata(void **state)
{
        static const char *const policies[] = {
                "version: 1\nrequests: {CheckRequest: allow}\n",
                "version: 1\n# it's ''' here\n",
                "version: 1\nx: \"a\\\\b\"\n",
        };
        struct policy_error err = { 0 };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(policies); i++) {
                struct attest_initdata id;
                char *doc, why[256];
                size_t len;

                assert_int_equal(gen_initdata(policies[i], strlen(policies[i]), NULL, 0, "sha384", &doc, &len, &err), 0);
                assert_int_equal(attest_initdata_parse((const uint8_t *)doc, len, &id, why, sizeof(why)), 0);
                assert_int_equal(id.algorithm, ATTEST_HASH_SHA384);
                assert_int_equal(id.policy_len, strlen(policies[i]));
                assert_memory_equal(id.policy, policies[i], id.policy_len);
                attest_initdata_done(&id);
                free(doc);
        }
        assert_int_equal(gen_initdata("x", 1, NULL, 0, "md5", NULL, NULL, &err), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cases),     cmocka_unit_test(test_errors),
                cmocka_unit_test(test_ranges),    cmocka_unit_test(test_cidrs),
                cmocka_unit_test(test_quantities), cmocka_unit_test(test_refs),
                cmocka_unit_test(test_initdata),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
