package dev.vouch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.config.ServerConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What the rendered objects promise, read from fabric8's typed model (rendering already failed on
 * any object or field the model does not know): the server Deployment, its budget and Service, the
 * webhook registration and its CA, the agent DaemonSets, the network policies, the Kata class.
 */
class ChartObjectsTest {
  private static final String SERVER = RenderedChart.RELEASE;
  private static final String SERVER_DNS = SERVER + "." + RenderedChart.NAMESPACE + ".svc";

  @Test
  void defaultAndHaValuesRenderTheWholeInstallation() {
    assertThat(kinds(RenderedChart.defaults()))
        .containsExactlyInAnyOrder(
            "ClusterRole",
            "ClusterRoleBinding",
            "ConfigMap",
            "DaemonSet",
            "DaemonSet",
            "Deployment",
            "MutatingWebhookConfiguration",
            "NetworkPolicy",
            "NetworkPolicy",
            "NetworkPolicy",
            "NetworkPolicy",
            "PodDisruptionBudget",
            "Secret",
            "Secret",
            "Secret",
            "Service",
            "Service",
            "Service",
            "ServiceAccount",
            "StatefulSet",
            "StatefulSet");
    // HA: external PostgreSQL and named Secrets instead of made ones; Ingress and Kata class on
    List<String> ha = kinds(RenderedChart.ha());
    assertThat(ha).contains("Ingress", "RuntimeClass");
    assertThat(ha).filteredOn("Secret"::equals).hasSize(1); // the TLS one
    assertThat(ha).filteredOn("StatefulSet"::equals).hasSize(1); // NATS
  }

  @Test
  void serverRunsNonRootOnAReadOnlyRootWithHealthProbes() {
    RenderedChart chart = RenderedChart.defaults();
    Deployment d = chart.get(Deployment.class, SERVER);
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getReadinessProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");
    assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(c.getArgs()).containsExactly("--config", "/etc/vouch/config/vouch.yaml");
    assertThat(mountPaths(c))
        .contains("/etc/vouch/config", "/etc/vouch/tls", "/var/lib/vouch", "/tmp");
    assertThat(pod.getServiceAccountName()).isEqualTo(SERVER);
    assertThat(
            pod.getAffinity()
                .getPodAntiAffinity()
                .getPreferredDuringSchedulingIgnoredDuringExecution())
        .hasSize(1);
    // the budget and the Service select exactly the server's pods
    Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
    PodDisruptionBudget pdb = chart.get(PodDisruptionBudget.class, SERVER);
    assertThat(podLabels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
    assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    Service svc = chart.get(Service.class, SERVER);
    assertThat(podLabels).containsAllEntriesOf(svc.getSpec().getSelector());
    assertThat(svc.getSpec().getSelector()).containsEntry("app.kubernetes.io/component", "server");
  }

  @Test
  void haServerSpreadsThreeReplicasOverNodesAndKeepsTwo() {
    RenderedChart chart = RenderedChart.ha();
    Deployment d = chart.get(Deployment.class, SERVER);
    assertThat(d.getSpec().getReplicas()).isEqualTo(3);
    var anti = d.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity();
    assertThat(anti.getRequiredDuringSchedulingIgnoredDuringExecution())
        .singleElement()
        .satisfies(t -> assertThat(t.getTopologyKey()).isEqualTo("kubernetes.io/hostname"));
    assertThat(chart.get(PodDisruptionBudget.class, SERVER).getSpec().getMinAvailable().getIntVal())
        .isEqualTo(2);
    Ingress ing = chart.get(Ingress.class, SERVER);
    assertThat(ing.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend())
        .satisfies(b -> assertThat(b.getService().getName()).isEqualTo(SERVER));
  }

  @Test
  void webhookCallsTheServerServiceWhoseCertificateItsCaBundleTrusts() throws Exception {
    RenderedChart chart = RenderedChart.defaults();
    List<MutatingWebhook> hooks =
        chart.get(MutatingWebhookConfiguration.class, SERVER + "-trusted-placement").getWebhooks();
    assertThat(hooks)
        .extracting(MutatingWebhook::getName)
        .containsExactly("pods.vouch.dev", "bindings.vouch.dev");
    MutatingWebhook w = hooks.get(0);
    // the binding check goes to the same route, with the same trust and exclusions
    MutatingWebhook binding = hooks.get(1);
    assertThat(binding.getRules())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getResources()).containsExactly("pods/binding");
              assertThat(r.getOperations()).containsExactly("CREATE");
            });
    assertThat(binding.getClientConfig()).isEqualTo(w.getClientConfig());
    assertThat(binding.getNamespaceSelector()).isEqualTo(w.getNamespaceSelector());
    assertThat(binding.getFailurePolicy()).isEqualTo("Fail");
    assertThat(w.getFailurePolicy()).isEqualTo("Fail");
    assertThat(w.getSideEffects()).isEqualTo("None");
    assertThat(w.getAdmissionReviewVersions()).containsExactly("v1");
    assertThat(w.getClientConfig().getService().getPath())
        .isEqualTo("/api/v1/kubernetes/admission/pods");
    assertThat(w.getClientConfig().getService().getName()).isEqualTo(SERVER);
    assertThat(w.getClientConfig().getService().getNamespace()).isEqualTo(RenderedChart.NAMESPACE);
    assertThat(w.getClientConfig().getService().getPort())
        .isEqualTo(chart.get(Service.class, SERVER).getSpec().getPorts().get(0).getPort());
    assertThat(w.getRules())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getResources()).containsExactly("pods");
              assertThat(r.getOperations()).containsExactly("CREATE");
            });
    var expr = w.getNamespaceSelector().getMatchExpressions().get(0);
    assertThat(expr.getKey()).isEqualTo("kubernetes.io/metadata.name");
    assertThat(expr.getOperator()).isEqualTo("NotIn");
    assertThat(expr.getValues()).contains("kube-system", RenderedChart.NAMESPACE);

    Secret tls = chart.get(Secret.class, SERVER + "-tls");
    assertThat(w.getClientConfig().getCaBundle()).isEqualTo(tls.getData().get("ca.crt"));
    X509Certificate ca = cert(tls.getData().get("ca.crt"));
    X509Certificate leaf = cert(tls.getData().get("tls.crt"));
    leaf.verify(ca.getPublicKey());
    assertThat(
            leaf.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList())
        .contains(SERVER_DNS, SERVER_DNS + ".cluster.local");
  }

  @Test
  void certManagerIssuesTheCertificateAndInjectsTheCaBundle() {
    RenderedChart chart =
        RenderedChart.render(
            List.of(),
            Map.of(
                "certificate.source", "certManager", "certificate.certManager.issuerName", "ca"));
    GenericKubernetesResource cert = chart.get(GenericKubernetesResource.class, SERVER);
    assertThat(cert.getKind()).isEqualTo("Certificate");
    assertThat(cert.get("spec", "secretName").toString()).isEqualTo(SERVER + "-tls");
    List<String> dnsNames = cert.get("spec", "dnsNames");
    assertThat(dnsNames).contains(SERVER_DNS, SERVER_DNS + ".cluster.local");
    assertThat(cert.get("spec", "issuerRef", "name").toString()).isEqualTo("ca");
    MutatingWebhookConfiguration hook =
        chart.get(MutatingWebhookConfiguration.class, SERVER + "-trusted-placement");
    assertThat(hook.getMetadata().getAnnotations())
        .containsEntry("cert-manager.io/inject-ca-from", RenderedChart.NAMESPACE + "/" + SERVER);
    assertThat(hook.getWebhooks().get(0).getClientConfig().getCaBundle()).isNull();
    assertThat(chart.find(Secret.class, SERVER + "-tls")).isEmpty();
  }

  @Test
  void anExistingSecretAndItsCaBundleCanBeGiven() {
    RenderedChart chart =
        RenderedChart.render(
            List.of(),
            Map.of(
                "certificate.source", "secret",
                "certificate.existingSecret", "my-tls",
                "certificate.caBundle", "Q0E="));
    assertThat(
            chart
                .get(MutatingWebhookConfiguration.class, SERVER + "-trusted-placement")
                .getWebhooks()
                .get(0)
                .getClientConfig()
                .getCaBundle())
        .isEqualTo("Q0E=");
    PodSpec pod = chart.get(Deployment.class, SERVER).getSpec().getTemplate().getSpec();
    assertThat(volume(pod, "tls").getSecret().getSecretName()).isEqualTo("my-tls");
    assertThat(chart.find(Secret.class, SERVER + "-tls")).isEmpty();
  }

  @Test
  void webhookFailurePolicyAndExclusionsComeFromValues() {
    RenderedChart chart =
        RenderedChart.render(
            List.of(),
            Map.of("webhook.failurePolicy", "Ignore", "webhook.excludeNamespaces[0]", "batch"));
    for (MutatingWebhook w :
        chart
            .get(MutatingWebhookConfiguration.class, SERVER + "-trusted-placement")
            .getWebhooks()) {
      assertThat(w.getFailurePolicy()).isEqualTo("Ignore");
      assertThat(w.getNamespaceSelector().getMatchExpressions().get(0).getValues())
          .containsExactly("kube-system", RenderedChart.NAMESPACE, "batch");
    }
    assertThat(
            RenderedChart.render(List.of(), Map.of("webhook.bindings", "false"))
                .get(MutatingWebhookConfiguration.class, SERVER + "-trusted-placement")
                .getWebhooks())
        .extracting(MutatingWebhook::getName)
        .containsExactly("pods.vouch.dev");
  }

  @Test
  void trustAgentUsesTheTpmAndImaOfItsNodeAndEnrollsByServiceDns() {
    RenderedChart chart = RenderedChart.defaults();
    PodSpec pod =
        chart.get(DaemonSet.class, SERVER + "-trust-agent").getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);
    List<String> args = c.getArgs();
    assertThat(arg(args, "--host-id")).isEqualTo("$(NODE_NAME)");
    assertThat(c.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("NODE_NAME");
              assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
            });
    assertThat(arg(args, "--tpm")).isEqualTo("device:/dev/tpmrm0");
    URI server = URI.create(arg(args, "--server"));
    assertThat(server.getScheme()).isEqualTo("https");
    assertThat(server.getHost()).isEqualTo(SERVER_DNS);
    assertThat(server.getPort())
        .isEqualTo(chart.get(Service.class, SERVER).getSpec().getPorts().get(0).getPort());
    assertThat(arg(args, "--nats")).isEqualTo("nats://vouch-nats.attest.svc:4222");
    assertThat(hostPath(pod, c, "/dev/tpmrm0")).isEqualTo("CharDevice");
    assertThat(mount(c, "/sys/kernel/security").getReadOnly()).isTrue();
    assertThat(hostPath(pod, c, "/sys/kernel/security")).isEqualTo("Directory");
    // only the CA of the server's certificate reaches the agent, never the server's key
    Volume ca = volume(pod, mount(c, "/etc/vouch/ca").getName());
    assertThat(ca.getSecret().getItems())
        .singleElement()
        .satisfies(i -> assertThat(i.getKey()).isEqualTo("ca.crt"));
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getTolerations())
        .anySatisfy(t -> assertThat(t.getKey()).isEqualTo("vouch.dev/attestation"));
  }

  @Test
  void measurementDaemonSetServesItsSocketFromAHostPath() {
    RenderedChart chart =
        RenderedChart.render(List.of(), Map.of("measurement.policy", "hashAlgorithm: sha256\n"));
    PodSpec pod = chart.get(DaemonSet.class, SERVER + "-measure").getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);
    assertThat(arg(c.getArgs(), "--measure-socket")).isEqualTo("/run/vouch/measure.sock");
    assertThat(arg(c.getArgs(), "--measure-policy")).isEqualTo("/etc/vouch/measure/policy.yaml");
    assertThat(hostPath(pod, c, "/run/vouch")).isEqualTo("DirectoryOrCreate");
    assertThat(hostPath(pod, c, "/dev/tpmrm0")).isEqualTo("CharDevice");
    assertThat(mount(c, "/sys/kernel/security").getReadOnly()).isTrue();
  }

  @Test
  void networkPoliciesLetOnlyTheServerReachTheDatabase() {
    RenderedChart chart = RenderedChart.defaults();
    NetworkPolicy db = chart.get(NetworkPolicy.class, SERVER + "-postgresql");
    assertThat(db.getSpec().getIngress())
        .singleElement()
        .satisfies(
            r ->
                assertThat(r.getFrom().get(0).getPodSelector().getMatchLabels())
                    .containsEntry("app.kubernetes.io/component", "server"));
    NetworkPolicy agents = chart.get(NetworkPolicy.class, SERVER + "-agents");
    assertThat(agents.getSpec().getPolicyTypes()).containsExactly("Ingress");
    assertThat(agents.getSpec().getIngress()).isNullOrEmpty();
    NetworkPolicy server = chart.get(NetworkPolicy.class, SERVER + "-server");
    assertThat(server.getSpec().getIngress().get(0).getPorts().get(0).getPort().getIntVal())
        .isEqualTo(8443);
  }

  @Test
  void kataRuntimeClassIsOneTheWebhookTreatsAsTrustedAndSelectsVerifiedNodes() {
    RuntimeClass rc = RenderedChart.ha().get(RuntimeClass.class, "kata-qemu-tdx");
    assertThat(rc.getHandler()).isEqualTo("kata-qemu-tdx");
    assertThat(rc.getScheduling().getNodeSelector()).containsEntry("vouch.dev/trust", "verified");
    assertThat(ServerConfig.Kubernetes.defaults().admissionRuntimeClasses())
        .contains(rc.getMetadata().getName());
  }

  private static List<String> kinds(RenderedChart chart) {
    return chart.objects().stream().map(HasMetadata::getKind).collect(Collectors.toList());
  }

  private static String arg(List<String> args, String flag) {
    int i = args.indexOf(flag);
    assertThat(i).as("flag %s in %s", flag, args).isNotNegative();
    return args.get(i + 1);
  }

  private static List<String> mountPaths(Container c) {
    return c.getVolumeMounts().stream().map(VolumeMount::getMountPath).toList();
  }

  private static VolumeMount mount(Container c, String path) {
    return c.getVolumeMounts().stream()
        .filter(m -> m.getMountPath().equals(path))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no mount at " + path));
  }

  private static Volume volume(PodSpec pod, String name) {
    return pod.getVolumes().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }

  /** The hostPath type of the volume mounted at {@code path}, which is also its host path. */
  private static String hostPath(PodSpec pod, Container c, String path) {
    Volume v = volume(pod, mount(c, path).getName());
    assertThat(v.getHostPath().getPath()).isEqualTo(path);
    return v.getHostPath().getType();
  }

  private static X509Certificate cert(String base64Pem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(base64Pem)));
  }
}
