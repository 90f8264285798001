"""Login and logout of staff members (Django's auth views with the workbench's templates)."""
from django.contrib.auth import views as auth_views


class LoginView(auth_views.LoginView):
    template_name = "workbench/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django refuses GET): a link cannot log a staff member out behind their back."""
