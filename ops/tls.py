"""TLS contexts from Redis's tls-* settings: the server side of `tls-port` listeners and the
client side of a replica's link when `tls-replication` is yes."""

import ssl

_VERSIONS = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1,
             "TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
_VERIFY = {"yes": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "no": ssl.CERT_NONE}


class TLSConfigError(ValueError):
    pass


def _protocols(context, text: str) -> None:
    """tls-protocols: e.g. "TLSv1.2 TLSv1.3" (empty: TLSv1.2 and up, as Redis)."""
    wanted = text.split() or ["TLSv1.2", "TLSv1.3"]
    unknown = [name for name in wanted if name not in _VERSIONS]
    if unknown:
        raise TLSConfigError(f"Invalid tls-protocols specified: {' '.join(unknown)}")
    versions = sorted(_VERSIONS[name] for name in wanted)
    context.minimum_version, context.maximum_version = versions[0], versions[-1]


def _certificates(context, config, cert_key: str, key_key: str, pass_key: str) -> None:
    try:
        context.load_cert_chain(config[cert_key], config[key_key] or None,
                                config[pass_key] or None)
        if config["tls-ca-cert-file"] or config["tls-ca-cert-dir"]:
            context.load_verify_locations(config["tls-ca-cert-file"] or None,
                                          config["tls-ca-cert-dir"] or None)
    except (OSError, ssl.SSLError) as exc:
        raise TLSConfigError(f"Failed to configure TLS: {exc}") from None


def server_context(config) -> ssl.SSLContext:
    if not config["tls-cert-file"] or not config["tls-key-file"]:
        raise TLSConfigError("Failed to configure TLS: tls-cert-file and tls-key-file are "
                             "needed for tls-port")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _protocols(context, config["tls-protocols"])
    _certificates(context, config, "tls-cert-file", "tls-key-file", "tls-key-file-pass")
    context.verify_mode = _VERIFY[config["tls-auth-clients"]]
    if context.verify_mode != ssl.CERT_NONE and not (config["tls-ca-cert-file"]
                                                     or config["tls-ca-cert-dir"]):
        raise TLSConfigError("Failed to configure TLS: either tls-ca-cert-file or "
                             "tls-ca-cert-dir must be specified when tls-auth-clients is on")
    try:
        if config["tls-ciphers"]:
            context.set_ciphers(config["tls-ciphers"])
        if config["tls-dh-params-file"]:
            context.load_dh_params(config["tls-dh-params-file"])
    except (OSError, ssl.SSLError) as exc:
        raise TLSConfigError(f"Failed to configure TLS: {exc}") from None
    if config["tls-prefer-server-ciphers"]:
        context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    return context


def client_context(config) -> ssl.SSLContext:
    """For connecting to a TLS primary: our certificate (tls-client-cert-file, else
    tls-cert-file) and the CA that signed the primary's."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False  # Redis verifies the chain, not the host name
    _protocols(context, config["tls-protocols"])
    if config["tls-client-cert-file"]:
        _certificates(context, config, "tls-client-cert-file", "tls-client-key-file",
                      "tls-client-key-file-pass")
    elif config["tls-cert-file"]:
        _certificates(context, config, "tls-cert-file", "tls-key-file", "tls-key-file-pass")
    return context
