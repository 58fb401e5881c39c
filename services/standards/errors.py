from services.errors import ServiceError


class StandardsError(ServiceError):
    """A rule of the standards layer was broken (baselines, assessments, conformance)."""
