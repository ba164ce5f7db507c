//! The Kubernetes deployment of docs/deploy.md (deploy/k8s/*.yaml), read with a YAML parser:
//! every manifest parses and says what it is; the Deployment runs several replicas with
//! readiness on `/readyz` and liveness on `/healthz` at the admin port the config names, mounts
//! the config and the two Secrets as whole folders (so updates reach the files and
//! `reload_poll` reloads), drains within its grace period, and runs unprivileged; the Service
//! selects its pods and targets the TLS port the config listens on; and the config in the
//! ConfigMap passes `mtlskit check` with a PKI and ticket keys where the Secrets put them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use mtlskit_tests::mtlskit;
use yaml_rust2::{Yaml, YamlLoader};

fn manifests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/k8s")
}

/// Every document of every manifest, by kind.
fn manifests() -> HashMap<String, Yaml> {
    let mut by_kind = HashMap::new();
    let mut files: Vec<_> = std::fs::read_dir(manifests_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let docs = YamlLoader::load_from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not YAML: {e}", f.display()));
        assert!(!docs.is_empty(), "{}: empty", f.display());
        for d in docs {
            let kind = d["kind"].as_str().expect("kind").to_string();
            assert!(d["apiVersion"].as_str().is_some(), "{}", f.display());
            assert!(d["metadata"]["name"].as_str().is_some(), "{}", f.display());
            assert!(
                by_kind.insert(kind.clone(), d).is_none(),
                "two {kind} manifests"
            );
        }
    }
    by_kind
}

fn list(y: &Yaml) -> &[Yaml] {
    y.as_vec().map(Vec::as_slice).unwrap_or(&[])
}

/// The port number in a TOML `listen` value such as "0.0.0.0:9443".
fn port_of(toml_text: &str, table: &str, key: &str) -> i64 {
    let v: toml::Value = toml::from_str(toml_text).unwrap();
    let listen = &v[table][key];
    let addr = listen
        .as_str()
        .or_else(|| listen.as_array().and_then(|a| a.first()?.as_str()))
        .unwrap();
    addr.rsplit(':').next().unwrap().parse().unwrap()
}

#[test]
fn the_kubernetes_manifests_hold_together() {
    let m = manifests();
    for kind in [
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "NetworkPolicy",
    ] {
        assert!(m.contains_key(kind), "no {kind}");
    }
    let config = m["ConfigMap"]["data"]["proxy.toml"].as_str().unwrap();
    let deployment = &m["Deployment"];
    let spec = &deployment["spec"];
    assert!(spec["replicas"].as_i64().unwrap() >= 2, "several replicas");
    let pod = &spec["template"]["spec"];
    let labels = &spec["template"]["metadata"]["labels"];
    assert_eq!(spec["selector"]["matchLabels"], *labels);

    let c = &list(&pod["containers"])[0];
    let port = |name: &str| {
        list(&c["ports"])
            .iter()
            .find(|p| p["name"].as_str() == Some(name))
            .and_then(|p| p["containerPort"].as_i64())
            .unwrap_or_else(|| panic!("no port {name}"))
    };
    assert_eq!(port("https"), port_of(config, "server", "listen"));
    assert_eq!(port("admin"), port_of(config, "admin", "listen"));
    assert_eq!(
        c["readinessProbe"]["httpGet"]["path"].as_str(),
        Some("/readyz")
    );
    assert_eq!(
        c["readinessProbe"]["httpGet"]["port"].as_str(),
        Some("admin")
    );
    assert_eq!(
        c["livenessProbe"]["httpGet"]["path"].as_str(),
        Some("/healthz")
    );

    // The config the container reads is the ConfigMap's, in a mounted folder.
    let args: Vec<&str> = list(&c["args"]).iter().filter_map(Yaml::as_str).collect();
    assert_eq!(args[..2], ["serve", "--config"]);
    let mounts: HashMap<&str, &str> = list(&c["volumeMounts"])
        .iter()
        .map(|v| {
            assert!(
                v["subPath"].is_badvalue(),
                "subPath mounts are never updated"
            );
            (
                v["name"].as_str().unwrap(),
                v["mountPath"].as_str().unwrap(),
            )
        })
        .collect();
    let volumes: HashMap<&str, &Yaml> = list(&pod["volumes"])
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v))
        .collect();
    let config_dir = mounts[volumes
        .iter()
        .find(|(_, v)| v["configMap"]["name"].as_str() == Some("mtlskit-config"))
        .map(|(n, _)| *n)
        .unwrap()];
    assert_eq!(args[2], format!("{config_dir}/proxy.toml"));
    // Each file the config names is in the folder of a mounted Secret.
    let secrets: Vec<(&str, &str)> = volumes
        .iter()
        .filter_map(|(n, v)| Some((v["secret"]["secretName"].as_str()?, mounts[n])))
        .collect();
    for name in ["mtlskit-tls", "mtlskit-ticket-keys"] {
        assert!(secrets.iter().any(|(s, _)| *s == name), "no Secret {name}");
    }
    let named: toml::Value = toml::from_str(config).unwrap();
    let s = &named["server"];
    let mut files: Vec<&str> = ["certificate", "key", "client_ca"]
        .iter()
        .map(|k| s[*k].as_str().unwrap())
        .collect();
    files.extend(
        s["ticket_key_file"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap()),
    );
    for f in &files {
        assert!(
            secrets
                .iter()
                .any(|(_, dir)| Path::new(f).parent() == Some(Path::new(dir))),
            "{f} is in no mounted Secret"
        );
    }

    // Draining fits the grace period, after the preStop pause.
    let drain: u64 = named["process"]["drain_timeout"]
        .as_str()
        .unwrap()
        .trim_end_matches('s')
        .parse()
        .unwrap();
    let pause = c["lifecycle"]["preStop"]["sleep"]["seconds"]
        .as_i64()
        .unwrap();
    let grace = pod["terminationGracePeriodSeconds"].as_i64().unwrap();
    assert!(drain as i64 + pause < grace, "{drain} + {pause} < {grace}");
    assert!(named["process"]["reload_poll"].as_str().is_some());

    // Unprivileged.
    assert_eq!(pod["securityContext"]["runAsNonRoot"].as_bool(), Some(true));
    let sc = &c["securityContext"];
    assert_eq!(sc["allowPrivilegeEscalation"].as_bool(), Some(false));
    assert_eq!(sc["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(list(&sc["capabilities"]["drop"])[0].as_str(), Some("ALL"));

    // The Service and the budget pick these pods; the Service targets the TLS port.
    let service = &m["Service"]["spec"];
    for (k, v) in service["selector"].as_hash().unwrap() {
        assert_eq!(labels[k.as_str().unwrap()], *v);
    }
    assert_eq!(
        list(&service["ports"])[0]["targetPort"].as_str(),
        Some("https")
    );
    assert_eq!(
        m["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
        *labels
    );

    // The config itself: `mtlskit check` accepts it once the Secrets' files are there (made
    // here as docs/deploy.md makes them), its folders moved under a temporary one.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().display().to_string();
    let text = config.replace("/etc/mtlskit/", &format!("{root}/"));
    std::fs::create_dir_all(tmp.path().join("config")).unwrap();
    std::fs::write(tmp.path().join("config/proxy.toml"), text).unwrap();
    let tls = tmp.path().join("tls");
    let run = mtlskit(tmp.path(), &["pki", "init", tls.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let tickets = tmp.path().join("tickets");
    std::fs::create_dir(&tickets).unwrap();
    for k in ["current.key", "previous.key", "next.key"] {
        let out = std::process::Command::new("openssl")
            .args(["rand", "-out"])
            .arg(tickets.join(k))
            .arg("80")
            .output()
            .unwrap();
        assert!(out.status.success());
        std::fs::set_permissions(tickets.join(k), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let check = mtlskit(
        tmp.path(),
        &["check", "--config", "config/proxy.toml"],
        None,
    );
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        !check.stderr.contains("ticket"),
        "no ticket key warning: {}",
        check.stderr
    );
}
