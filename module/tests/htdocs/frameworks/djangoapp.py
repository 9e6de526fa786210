"""A one-file Django project for module/tests/wsgi_frameworks.rs."""

from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="not-a-secret: a test project",
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["*"],
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        USE_TZ=True,
    )

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402


def index(request):
    return HttpResponse("django index at %s (script %s)" % (request.path, request.META["SCRIPT_NAME"]))


def form(request):
    return HttpResponse("name=%s n=%d" % (request.POST["name"], len(request.POST.getlist("n"))))


def upload(request):
    f = request.FILES["file"]
    data = f.read()
    return HttpResponse("%s %d %d" % (f.name, len(data), sum(data) % 65521))


urlpatterns = [path("", index), path("form", form), path("upload", upload)]

application = get_wsgi_application()
